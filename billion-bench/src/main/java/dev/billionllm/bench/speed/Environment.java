package dev.billionllm.bench.speed;

import ai.djl.engine.Engine;
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
 */
public record Environment(String cpuModel, int logicalCores, String os, String jvm, String djlVersion,
        String pytorchVersion, String onnxRuntimeVersion, String ompWaitPolicy) {

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
                Objects.requireNonNullElse(System.getenv("OMP_WAIT_POLICY"), "unset"));
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
