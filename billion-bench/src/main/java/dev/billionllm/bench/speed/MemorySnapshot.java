package dev.billionllm.bench.speed;

import dev.billionllm.core.platform.ProcessMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Process memory at one moment. RSS figures come from {@code /proc/self/status} and are -1 where
 * that file does not exist (not Linux).
 *
 * @param peakRssBytes {@code VmHWM}: the highest resident set size since the process started
 *     (native weights and engine buffers included, which the Java heap does not see)
 * @param rssBytes {@code VmRSS}: resident set size now
 * @param heapUsedBytes Java heap in use
 * @param heapMaxBytes Java heap limit ({@code -Xmx})
 */
public record MemorySnapshot(long peakRssBytes, long rssBytes, long heapUsedBytes, long heapMaxBytes) {

    /** Reads the current process's figures. */
    public static MemorySnapshot capture() {
        Runtime rt = Runtime.getRuntime();
        long hwm = -1;
        long rss = -1;
        Path status = Path.of("/proc/self/status");
        if (Files.isReadable(status)) {
            try {
                List<String> lines = Files.readAllLines(status);
                hwm = statusKb(lines, "VmHWM:");
                rss = statusKb(lines, "VmRSS:");
            } catch (IOException e) {
                // Not fatal: the report shows -1 (unknown).
            }
        }
        return new MemorySnapshot(hwm, rss, rt.totalMemory() - rt.freeMemory(), rt.maxMemory());
    }

    /** A {@code /proc/self/status} field in bytes ("VmHWM:   123456 kB"), or -1. */
    static long statusKb(List<String> lines, String field) {
        long kb = ProcessMemory.fieldKb(lines, field);
        return kb < 0 ? -1 : kb * 1024;
    }
}
