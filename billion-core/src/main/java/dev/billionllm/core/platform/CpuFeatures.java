package dev.billionllm.core.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU model and the instruction-set features that decide ONNX Runtime's and PyTorch's int8 and
 * fp32 kernels on x86-64, read from {@code /proc/cpuinfo} (Linux; elsewhere the model is
 * {@code System.getProperty("os.arch")} and no feature is known).
 *
 * <pre>{@code
 * CpuFeatures cpu = CpuFeatures.current();
 * System.out.println(cpu.summary());   // "AMD EPYC 7B13 (x86_64): avx2 avx512f avx512_vnni avx_vnni"
 * }</pre>
 *
 * @param model the CPU's model name
 * @param flags every flag the OS reports, lower case
 */
public record CpuFeatures(String model, Set<String> flags) {

    /** The features reported in test and benchmark output, in this order. */
    public static final List<String> REPORTED = List.of("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
            "amx_int8", "amx_bf16");

    private static volatile CpuFeatures current;

    public CpuFeatures {
        model = model == null || model.isBlank() ? "unknown CPU" : model.trim();
        flags = Set.copyOf(flags);
    }

    /** This machine's, read once. */
    public static CpuFeatures current() {
        CpuFeatures c = current;
        if (c == null) {
            c = read(Path.of("/proc/cpuinfo"));
            current = c;
        }
        return c;
    }

    /** Parses a {@code /proc/cpuinfo} file; a missing or unreadable file gives no features. */
    public static CpuFeatures read(Path cpuinfo) {
        String arch = System.getProperty("os.arch", "unknown");
        if (!Files.isRegularFile(cpuinfo)) {
            return new CpuFeatures(arch, Set.of());
        }
        try {
            return parse(Files.readString(cpuinfo, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cpuinfo, e);
        }
    }

    /** Parses the text of {@code /proc/cpuinfo}: the first processor's model name and flags. */
    public static CpuFeatures parse(String cpuinfo) {
        String model = null;
        Set<String> flags = new TreeSet<>();
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (model == null && key.equals("model name")) {
                model = value;
            } else if (flags.isEmpty() && key.equals("flags")) {
                for (String f : value.split("\\s+")) {
                    if (!f.isEmpty()) {
                        flags.add(f.toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return new CpuFeatures(model, flags);
    }

    /** Whether the OS reports {@code flag} (lower case, as in /proc/cpuinfo). */
    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /**
     * Whether the CPU has 8-bit dot-product instructions (AVX-512 VNNI or AVX-VNNI), with which ONNX
     * Runtime's uint8 x int8 GEMM accumulates in 32 bits. Without them (x86 only), it uses
     * {@code vpmaddubsw}, whose 16-bit pair sums saturate on full-range int8 weights.
     */
    public boolean hasInt8DotProduct() {
        return has("avx512_vnni") || has("avx_vnni");
    }

    /**
     * Whether full-range uint8 x int8 products can saturate here: an x86 CPU without VNNI. False
     * when nothing is known (not Linux), so callers warn only on evidence.
     */
    public boolean saturatesU8S8() {
        return has("avx2") && !hasInt8DotProduct();
    }

    /** "model: features" with the {@link #REPORTED} features this CPU has (or "none of ..."). */
    public String summary() {
        List<String> present = new ArrayList<>();
        for (String f : REPORTED) {
            if (has(f)) {
                present.add(f);
            }
        }
        String features = present.isEmpty() ? "none of " + String.join(" ", REPORTED) : String.join(" ", present);
        return model + ": " + features;
    }

    /** "avx2 / avx512 / avx512-vnni"-style class name for tables. */
    public String machineClass() {
        if (has("amx_int8")) {
            return "AMX";
        }
        if (has("avx512_vnni")) {
            return "AVX-512 VNNI";
        }
        if (has("avx512f")) {
            return has("avx_vnni") ? "AVX-512 + AVX-VNNI" : "AVX-512 (no VNNI)";
        }
        if (has("avx2")) {
            return has("avx_vnni") ? "AVX2 + AVX-VNNI" : "AVX2 (no VNNI)";
        }
        return flags.isEmpty() ? "unknown" : "no AVX2";
    }
}
