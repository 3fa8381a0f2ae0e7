package dev.billionllm.bench.speed;

import ai.djl.engine.Engine;
import dev.billionllm.core.platform.CpuFeatures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

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
 *     products saturate): those of {@link CpuFeatures#REPORTED} this CPU has
 */
public record Environment(String cpuModel, int logicalCores, String os, String jvm, String djlVersion,
        String pytorchVersion, String onnxRuntimeVersion, String ompWaitPolicy, List<String> cpuFeatures) {

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
        return new Environment(CpuFeatures.current().model(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                Engine.getDjlVersion(), probeEngines ? engineVersion("PyTorch") : "not loaded",
                probeEngines ? engineVersion("OnnxRuntime") : "not loaded",
                Objects.requireNonNullElse(System.getenv("OMP_WAIT_POLICY"), "unset"), readCpuFeatures());
    }

    /** The {@link CpuFeatures#REPORTED} features this CPU has, in that order. */
    static List<String> readCpuFeatures() {
        CpuFeatures cpu = CpuFeatures.current();
        return CpuFeatures.REPORTED.stream().filter(cpu::has).toList();
    }

    /** {@code "AMD EPYC [avx2 fma ... avx_vnni]"}: the CPU line of a report. */
    public String cpuLine() {
        return cpuModel + " [" + (cpuFeatures.isEmpty() ? "features unknown" : String.join(" ", cpuFeatures)) + "]";
    }

    /**
     * {@code /proc/loadavg} as one line ({@code "1.78 1.17 0.76 2/345 6789"}), or {@code "n/a"}
     * where it cannot be read: timings on a shared machine mean little without it.
     */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static String engineVersion(String name) {
        try {
            return Engine.getEngine(name).getVersion();
        } catch (RuntimeException | LinkageError e) {
            return "unavailable";
        }
    }
}
