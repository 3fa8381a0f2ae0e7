package dev.billionllm.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a lock file that holds against other processes and other threads of this
 * JVM alike: the hub's blob downloads and the export cache's builds use it so that two writers
 * never produce the same file at once.
 *
 * <pre>{@code
 * try (ProcessLock lock = ProcessLock.acquire(root.resolve(".locks/key.lock"))) {
 *     ... // only this thread of this process, and no other process, is here
 * }
 * }</pre>
 */
public final class ProcessLock implements AutoCloseable {
    // FileChannel.lock is per process: two threads of one JVM asking for the same file lock get
    // OverlappingFileLockException instead of waiting, so threads queue on a JVM lock first.
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final ReentrantLock jvmLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private ProcessLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
        this.jvmLock = jvmLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /**
     * Waits for and takes the lock of {@code file} (created with its folders if missing; the file
     * is left in place afterwards, as deleting it would race with a process about to lock it).
     *
     * @throws IOException if the lock file cannot be created or locked
     */
    public static ProcessLock acquire(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
        jvmLock.lock();
        try {
            Files.createDirectories(key.getParent());
            FileChannel channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new ProcessLock(jvmLock, channel, channel.lock());
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            jvmLock.unlock();
            throw e;
        }
    }

    /** Releases the file lock, then the JVM lock. */
    @Override
    public void close() {
        try {
            fileLock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the lock " + channel, e);
        } finally {
            jvmLock.unlock();
        }
    }
}
