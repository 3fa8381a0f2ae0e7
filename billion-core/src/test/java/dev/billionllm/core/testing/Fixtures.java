package dev.billionllm.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the bundled fixtures under {@code ${billion.root}/testdata/}. */
public final class Fixtures {

    private Fixtures() {}

    /** The fixture folder {@code name} (for example "tiny-tinyllama"); fails if it is missing. */
    public static Path dir(String name) {
        String root = System.getProperty("billion.root");
        if (root == null) {
            throw new IllegalStateException("system property billion.root is not set (Surefire sets it to the repository root)");
        }
        Path dir = Path.of(root, "testdata", name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixture folder " + dir + " does not exist");
        }
        return dir;
    }
}
