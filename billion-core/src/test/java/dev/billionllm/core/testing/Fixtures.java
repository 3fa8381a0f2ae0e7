package dev.billionllm.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the bundled fixtures under {@code ${billion.root}/testdata} (set by surefire). */
public final class Fixtures {

    private Fixtures() {}

    /** The repository's testdata folder. */
    public static Path root() {
        String root = System.getProperty("billion.root");
        Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        // Running from a module folder without the property: look one level up.
        for (Path p = base; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata"))) {
                return p.resolve("testdata");
            }
        }
        throw new IllegalStateException("testdata/ not found from " + base
                + " (set -Dbillion.root to the repository root)");
    }

    /** A fixture folder, such as {@code dir("tiny-tinyllama")} or {@code dir("small-llama-pair/small-llama-target")}. */
    public static Path dir(String name) {
        Path dir = root().resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixture " + name + " not found at " + dir);
        }
        return dir;
    }
}
