package dev.billionllm.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the bundled fixtures under {@code ${billion.root}/testdata/}. */
public final class Fixtures {

    private Fixtures() {}

    /** The folder {@code testdata/<name>}; fails if it does not exist. */
    public static Path dir(String name) {
        String root = System.getProperty("billion.root");
        if (root == null) {
            throw new IllegalStateException("system property billion.root is not set (run tests through Maven)");
        }
        Path dir = Path.of(root, "testdata", name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixture folder not found: " + dir);
        }
        return dir;
    }
}
