package dev.billionllm.core.export;

import java.util.Locale;

/**
 * How int8 linear-layer weights are stored for ONNX Runtime's {@code DynamicQuantizeMatMul}, whose
 * activations are always quantised to uint8 at run time.
 *
 * <p>Why it matters: on x86-64 CPUs without VNNI (AVX2 only, or AVX-512 without VNNI), ONNX
 * Runtime's uint8 x int8 kernel multiplies with {@code vpmaddubsw}, which adds each pair of
 * products into a <em>saturating</em> 16-bit sum: 255 x 127 x 2 = 64,770 does not fit, so
 * full-range int8 weights give wrong logits there (and only there). See docs/export.md
 * ("int8 on every CPU") for the measurements behind the default.
 */
public enum Int8Encoding {

    /**
     * uint8 weights with zero point 128 (the default): ONNX Runtime runs its uint8 x uint8 kernels,
     * which widen to 16 bits and accumulate in 32 bits on every x86-64 CPU, so the result is the same
     * everywhere and has the full 8-bit weight resolution.
     */
    U8,

    /**
     * int8 weights in [-63, 63] ("reduce range"): a pair of products is at most 255 x 63 x 2 = 32,130,
     * which fits the 16-bit sum, so the fast uint8 x int8 kernel is exact on every CPU, at half the
     * weight resolution.
     */
    S7,

    /**
     * int8 weights in [-127, 127]: exact only on CPUs with AVX-512 VNNI or AVX-VNNI (and non-x86);
     * saturates on AVX2-only and AVX-512-without-VNNI CPUs. Kept to measure and to read old exports.
     */
    S8;

    /** Name as written in billion-export.json and accepted on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Largest stored magnitude around the zero point. */
    int maxLevel() {
        return this == S7 ? 63 : 127;
    }

    /** Whether ONNX Runtime's uint8 x int8 kernel can saturate on this encoding on CPUs without VNNI. */
    public boolean saturatesWithoutVnni() {
        return this == S8;
    }

    /**
     * The exact encoding expected to run fastest on {@code cpu}, for exports built on the machine that
     * will run them (the export cache): {@link #U8} where the CPU has 8-bit dot products (VNNI) or
     * is not x86, where it costs nothing (measured in docs/export.md); {@link #S7} on x86 without
     * VNNI, which keeps ONNX Runtime's uint8 x int8 kernel ({@code vpmaddubsw}, twice the
     * multiply-adds per instruction of the uint8 x uint8 kernel's {@code vpmaddwd}) without
     * saturating. Both are exact on every CPU, so a file moved to another machine stays right.
     */
    public static Int8Encoding fastestExact(dev.billionllm.core.platform.CpuFeatures cpu) {
        return cpu.saturatesU8S8() ? S7 : U8;
    }

    /** Parses {@link #id()} (case-insensitive). */
    public static Int8Encoding of(String id) {
        for (Int8Encoding e : values()) {
            if (e.id().equalsIgnoreCase(id)) {
                return e;
            }
        }
        throw new IllegalArgumentException("int8 encoding must be u8, s7 or s8, got \"" + id + "\"");
    }
}
