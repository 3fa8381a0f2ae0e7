package dev.billionllm.core.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * This process's resident memory from {@code /proc/self/status} (Linux), the one figure that
 * includes native weights and engine buffers the Java heap does not see. Benchmarks and the
 * trainer's RSS checks read it here.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** Resident set size now ({@code VmRSS}) in kB, or -1 where it cannot be read. */
    public static long rssKb() {
        return statusKb("VmRSS:");
    }

    /** Highest resident set size since the process started ({@code VmHWM}) in kB, or -1. */
    public static long peakRssKb() {
        return statusKb("VmHWM:");
    }

    /** A {@code /proc/self/status} field in kB, or -1 where it cannot be read. */
    static long statusKb(String field) {
        if (!Files.isReadable(STATUS)) {
            return -1;
        }
        try {
            return fieldKb(Files.readAllLines(STATUS), field);
        } catch (IOException e) {
            return -1;
        }
    }

    /** The value of {@code field} ("VmRSS:   123456 kB") in lines of a status file, in kB, or -1. */
    public static long fieldKb(List<String> lines, String field) {
        for (String line : lines) {
            if (line.startsWith(field)) {
                try {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
