package dev.billionllm.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reports are written whole or not at all through core's {@link dev.billionllm.core.io.AtomicFiles};
 * this only turns its {@code IOException} into an unchecked one naming the file, as the report writers'
 * signatures declare none.
 */
final class AtomicFiles {

    private AtomicFiles() {}

    static void write(Path target, byte[] bytes) {
        try {
            dev.billionllm.core.io.AtomicFiles.write(target, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    static void writeString(Path target, String text) {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }
}
