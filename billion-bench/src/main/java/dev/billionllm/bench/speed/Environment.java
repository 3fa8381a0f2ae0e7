package dev.billionllm.bench.speed;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where numbers were measured; every report carries one.
 *
 * @param cpuModel {@code model name} from /proc/cpuinfo (or {@code os.arch})
 * @param logicalCores processors the JVM sees
 * @param os operating system name and version
 * @param jvm JVM name and version
 * @param djlVersion DJL version
 * @param pytorchVersion libtorch version, or "not loaded"/"unavailable"
 * @param onnxRuntimeVersion ONNX Runtime version, or "not loaded"/"unavailable"
 * @param ompWaitPolicy the {@code OMP_WAIT_POLICY} environment variable, or "unset": on busy cores
 *     torch's spinning OpenMP workers (the default) slow decoding several times, PASSIVE avoids that
 * @param cpuFeatures the SIMD features that decide which quantised kernels run (and whether int8
 *     products saturate): those of {@link #REPORTED_FEATURES} in /proc/cpuinfo's flags, in that order
 */
public record Environment(String cpuModel, int logicalCores, String os, String jvm, String djlVersion,
        String pytorchVersion, String onnxRuntimeVersion, String ompWaitPolicy, List<String> cpuFeatures) {

    /**
     * CPU flags a report names: AVX2 alone (ONNX Runtime's int8 GEMM uses vpmaddubsw, which
     * saturates), AVX-512, VNNI in its two encodings (no saturation, faster int8), AMX.
     */
    public static final List<String> REPORTED_FEATURES = List.of("avx2", "fma", "f16c", "avx512f", "avx512bw",
            "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16");

    public Environment {
        // Reports written before this field existed read back with none.
        cpuFeatures = cpuFeatures == null ? List.of() : List.copyOf(cpuFeatures);
    }

    /** Machine description without starting the engines. */
    public static Environment capture() {
        return capture(false);
    }

    /**
     * Describes this machine.
     *
     * @param probeEngines also start the PyTorch and ONNX Runtime engines to read their versions
     *     (loads native libraries; a few seconds the first time)
     */
    public static Environment capture(boolean probeEngines) {
        return new Environment(readCpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                Engine.getDjlVersion(), probeEngines ? engineVersion("PyTorch") : "not loaded",
                probeEngines ? engineVersion("OnnxRuntime") : "not loaded",
                Objects.requireNonNullElse(System.getenv("OMP_WAIT_POLICY"), "unset"), readCpuFeatures());
    }

    /** The {@link #REPORTED_FEATURES} this CPU has, from /proc/cpuinfo (empty where unreadable). */
    static List<String> readCpuFeatures() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        List<String> found = new ArrayList<>();
        if (!Files.isReadable(cpuinfo)) {
            return found;
        }
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags")) {
                    Set<String> flags = Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                    for (String f : REPORTED_FEATURES) {
                        if (flags.contains(f)) {
                            found.add(f);
                        }
                    }
                    break;
                }
            }
        } catch (IOException e) {
            // Unknown features: the report says none rather than guessing.
        }
        return found;
    }

    /** {@code "AMD EPYC [avx2 fma ... avx_vnni]"}: the CPU line of a report. */
    public String cpuLine() {
        return cpuModel + " [" + (cpuFeatures.isEmpty() ? "features unknown" : String.join(" ", cpuFeatures)) + "]";
    }

    private static String engineVersion(String name) {
        try {
            return Engine.getEngine(name).getVersion();
        } catch (RuntimeException | LinkageError e) {
            return "unavailable";
        }
    }

    static String readCpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            try {
                List<String> lines = Files.readAllLines(cpuinfo);
                for (String line : lines) {
                    if (line.startsWith("model name")) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            } catch (IOException e) {
                // Fall through to the architecture name.
            }
        }
        return System.getProperty("os.arch");
    }
}
