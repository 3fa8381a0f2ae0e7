package dev.billionllm.core.platform;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuFeaturesTest {

    /** First-generation Zen: AVX2, no AVX-512, no VNNI (the class whose int8 kernel saturates). */
    static final CpuFeatures AVX2_ONLY = CpuFeatures.parse("processor\t: 0\nvendor_id\t: AuthenticAMD\n"
            + "model name\t: AMD EPYC 7551 32-Core Processor\nflags\t\t: fpu sse2 avx fma avx2 bmi2\n\n"
            + "processor\t: 1\nmodel name\t: ignored\nflags\t\t: fpu avx512f avx512_vnni\n");
    static final CpuFeatures VNNI = CpuFeatures.parse("model name\t: AMD EPYC 9B14\n"
            + "flags\t\t: avx2 avx512f avx512bw avx512_vnni avx_vnni avx512_bf16\n");
    static final CpuFeatures SKYLAKE = CpuFeatures.parse("model name\t: Intel(R) Xeon(R) Gold 6148\n"
            + "flags\t\t: avx2 avx512f avx512bw avx512cd\n");

    @Test
    void readsTheFirstProcessorsModelAndFlags() {
        assertThat(AVX2_ONLY.model()).isEqualTo("AMD EPYC 7551 32-Core Processor");
        assertThat(AVX2_ONLY.has("avx2")).isTrue();
        assertThat(AVX2_ONLY.has("avx512f")).isFalse();
        assertThat(AVX2_ONLY.summary()).isEqualTo("AMD EPYC 7551 32-Core Processor: avx2");
        assertThat(VNNI.summary()).isEqualTo("AMD EPYC 9B14: avx2 avx512f avx512bw avx512_vnni avx_vnni");
    }

    @Test
    void int8SaturationRiskIsX86WithoutVnni() {
        assertThat(AVX2_ONLY.saturatesU8S8()).isTrue();
        assertThat(SKYLAKE.saturatesU8S8()).isTrue();
        assertThat(VNNI.saturatesU8S8()).isFalse();
        assertThat(CpuFeatures.parse("").saturatesU8S8()).as("nothing known: no warning").isFalse();
        assertThat(AVX2_ONLY.machineClass()).isEqualTo("AVX2 (no VNNI)");
        assertThat(SKYLAKE.machineClass()).isEqualTo("AVX-512 (no VNNI)");
        assertThat(VNNI.machineClass()).isEqualTo("AVX-512 VNNI");
    }

    @Test
    void fastestExactInt8EncodingFollowsTheCpuClass() {
        assertThat(dev.billionllm.core.export.Int8Encoding.fastestExact(AVX2_ONLY))
                .isEqualTo(dev.billionllm.core.export.Int8Encoding.S7);
        assertThat(dev.billionllm.core.export.Int8Encoding.fastestExact(SKYLAKE))
                .isEqualTo(dev.billionllm.core.export.Int8Encoding.S7);
        assertThat(dev.billionllm.core.export.Int8Encoding.fastestExact(VNNI))
                .isEqualTo(dev.billionllm.core.export.Int8Encoding.U8);
        assertThat(dev.billionllm.core.export.Int8Encoding.fastestExact(CpuFeatures.parse("")))
                .isEqualTo(dev.billionllm.core.export.Int8Encoding.U8);
    }

    @Test
    void thisMachineIsDescribed() {
        CpuFeatures cpu = CpuFeatures.current();
        System.out.println("[cpu] " + cpu.summary() + " (" + cpu.machineClass() + ")");
        assertThat(cpu.summary()).startsWith(cpu.model() + ": ");
    }
}
