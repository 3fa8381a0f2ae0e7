package dev.billionllm.core.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Runs a main class in a fresh JVM, for what one process cannot show: environment variables
 * (HF_HUB_CACHE, HF_ENDPOINT) and a class path without some jars (only one engine installed).
 *
 * <pre>{@code
 * ChildJvm.Result r = ChildJvm.run(MyMain.class.getName(), ChildJvm.testClassPath(jar -> true),
 *         Map.of("HF_HUB_OFFLINE", "1"), "arg");
 * }</pre>
 */
public final class ChildJvm {

    /** Exit code and both output streams of a finished child. */
    public record Result(int code, String out, String err) {}

    private ChildJvm() {}

    /** This JVM's class path (surefire's test class path), keeping the entries {@code keep} accepts. */
    public static List<String> testClassPath(Predicate<String> keep) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.isBlank()).filter(keep).collect(Collectors.toList());
    }

    /**
     * Runs {@code mainClass} with {@code env} added to this process's environment (a null value
     * removes a variable) and waits at most two minutes.
     */
    public static Result run(String mainClass, List<String> classPath, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", String.join(File.pathSeparator, classPath)));
        String root = System.getProperty("billion.root");
        if (root != null) {
            command.add("-Dbillion.root=" + root);
        }
        command.add(mainClass);
        command.addAll(Arrays.asList(args));
        Path out = Files.createTempFile("child-out", ".txt");
        Path err = Files.createTempFile("child-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            env.forEach((k, v) -> {
                if (v == null) {
                    pb.environment().remove(k);
                } else {
                    pb.environment().put(k, v);
                }
            });
            Process p = pb.start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(mainClass + " did not finish in two minutes; stderr: "
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
