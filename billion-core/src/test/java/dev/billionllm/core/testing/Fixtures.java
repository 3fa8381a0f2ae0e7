package dev.billionllm.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Locates the bundled fixtures: under {@code ${billion.root}/testdata} (set by surefire) inside
 * this repository, else on the classpath, where billion-core's test-jar carries the tiny models
 * (extracted once per JVM to a temporary folder, deleted at exit, since models load from files).
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>dev.billionllm</groupId>
 *   <artifactId>billion-core</artifactId>
 *   <type>test-jar</type>
 *   <scope>test</scope>
 * </dependency>
 *
 * Path dir = Fixtures.dir("tiny-tinyllama");
 * }</pre>
 */
public final class Fixtures {
    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    private Fixtures() {}

    /** The repository's testdata folder. */
    public static Path root() {
        Path root = findRoot();
        if (root == null) {
            throw new IllegalStateException("testdata/ not found from " + base()
                    + " (set -Dbillion.root to the repository root)");
        }
        return root;
    }

    /** A fixture folder, such as {@code dir("tiny-tinyllama")} or {@code dir("small-llama-pair/small-llama-target")}. */
    public static Path dir(String name) {
        Path root = findRoot();
        if (root == null) {
            return fromClasspath(Fixtures.class.getClassLoader(), name);
        }
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixture " + name + " not found at " + dir);
        }
        return dir;
    }

    private static Path base() {
        String root = System.getProperty("billion.root");
        return root != null ? Path.of(root) : Path.of("").toAbsolutePath();
    }

    private static Path findRoot() {
        // Running from a module folder without the property: look one level up.
        for (Path p = base(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata"))) {
                return p.resolve("testdata");
            }
        }
        return null;
    }

    /** The fixture {@code name} from {@code testdata/<name>/} on the classpath of {@code loader}. */
    static Path fromClasspath(ClassLoader loader, String name) {
        String prefix = "testdata/" + name + "/";
        URL marker = loader.getResource("testdata/README.md");
        if (marker == null) {
            throw new IllegalStateException("fixture " + name + " not found: no testdata/ folder above " + base()
                    + " and no billion-core test-jar (testdata/README.md) on the classpath");
        }
        try {
            if ("file".equals(marker.getProtocol())) {
                Path dir = Path.of(marker.toURI()).getParent().resolve(name);
                if (!Files.isDirectory(dir)) {
                    throw new IllegalStateException("fixture " + name + " not found at " + dir);
                }
                return dir;
            }
            if ("jar".equals(marker.getProtocol())) {
                return EXTRACTED.computeIfAbsent(marker + "!" + name, k -> extract(marker, prefix, name));
            }
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot read fixture " + name + " from " + marker, e);
        }
        throw new IllegalStateException("cannot read fixture " + name + " from " + marker);
    }

    private static void deleteQuietly(Path dir) {
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort at JVM exit: a leftover temp folder is harmless
        }
    }

    private static Path extract(URL marker, String prefix, String name) {
        try {
            JarURLConnection connection = (JarURLConnection) marker.openConnection();
            connection.setUseCaches(false);
            try (JarFile jar = connection.getJarFile()) {
                Path out = Files.createTempDirectory("billion-fixture-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(out)));
                int files = 0;
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                    JarEntry entry = e.nextElement();
                    if (!entry.getName().startsWith(prefix) || entry.isDirectory()) {
                        continue;
                    }
                    Path target = out.resolve(entry.getName().substring(prefix.length())).normalize();
                    if (!target.startsWith(out)) {
                        throw new IllegalStateException("unsafe entry " + entry.getName() + " in " + jar.getName());
                    }
                    Files.createDirectories(target.getParent());
                    try (InputStream in = jar.getInputStream(entry)) {
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    files++;
                }
                if (files == 0) {
                    throw new IllegalStateException("fixture " + name + " not found in " + jar.getName());
                }
                return out;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract fixture " + name + " from " + marker, e);
        }
    }
}
