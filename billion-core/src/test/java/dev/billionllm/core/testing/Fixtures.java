package dev.billionllm.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the bundled reference fixtures under {@code ${billion.root}/testdata}. */
public final class Fixtures {

    private Fixtures() {}

    /** The testdata folder (from the {@code billion.root} system property Surefire sets). */
    public static Path root() {
        String root = System.getProperty("billion.root");
        Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        // Tests run from the module folder when the property is missing (IDE runs).
        for (Path p = base; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata"))) {
                return p.resolve("testdata");
            }
        }
        throw new IllegalStateException("testdata/ not found above " + base);
    }

    /** One fixture folder, e.g. {@code dir("tiny-tinyllama")} or {@code dir("small-llama-pair/small-llama-target")}. */
    public static Path dir(String name) {
        Path dir = root().resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixture not found: " + dir);
        }
        return dir;
    }
}
