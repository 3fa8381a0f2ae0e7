package dev.billionllm.bench.speed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryAndEnvironmentTest {

    @Test
    void parsesProcStatusFields() {
        List<String> lines = List.of("Name:\tjava", "VmHWM:\t  123456 kB", "VmRSS:\t     100 kB");
        assertThat(MemorySnapshot.statusKb(lines, "VmHWM:")).isEqualTo(123456L * 1024);
        assertThat(MemorySnapshot.statusKb(lines, "VmRSS:")).isEqualTo(100L * 1024);
        assertThat(MemorySnapshot.statusKb(lines, "VmSwap:")).isEqualTo(-1);
    }

    @Test
    void capturesThisProcess() {
        MemorySnapshot m = MemorySnapshot.capture();
        assertThat(m.heapUsedBytes()).isPositive();
        assertThat(m.heapMaxBytes()).isGreaterThanOrEqualTo(m.heapUsedBytes());
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            assertThat(m.peakRssBytes()).isGreaterThanOrEqualTo(m.rssBytes()).isPositive();
        }
        Environment env = Environment.capture(false);
        assertThat(env.logicalCores()).isPositive();
        assertThat(env.cpuModel()).isNotBlank();
        assertThat(env.djlVersion()).isEqualTo("0.36.0");
        assertThat(env.pytorchVersion()).isEqualTo("not loaded");
        // Every x86-64 machine this project supports has AVX2; the line names what was found.
        assertThat(dev.billionllm.core.platform.CpuFeatures.REPORTED).containsAll(env.cpuFeatures());
        assertThat(env.cpuLine()).startsWith(env.cpuModel() + " [");
        if (System.getProperty("os.arch").equals("amd64") && Files.isReadable(Path.of("/proc/cpuinfo"))) {
            assertThat(env.cpuFeatures()).contains("avx2");
        }
    }
}
