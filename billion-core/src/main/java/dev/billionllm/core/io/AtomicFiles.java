package dev.billionllm.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Small files written whole or not at all: readers see the old content or the new, never a part.
 *
 * <pre>{@code
 * AtomicFiles.write(dir.resolve("refs/main"), commit.getBytes(StandardCharsets.UTF_8));
 * }</pre>
 */
public final class AtomicFiles {

    private AtomicFiles() {}

    /**
     * Writes {@code content} to a temporary file of a unique name beside {@code target} (creating
     * the folder), then moves it over {@code target} atomically; the temporary file is removed
     * whatever happens.
     */
    public static void write(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
