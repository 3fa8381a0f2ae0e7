package dev.billionllm.core.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {

    @Test
    void readsStatusFieldsInKilobytes() {
        List<String> lines = List.of("Name:\tjava", "VmHWM:\t  123456 kB", "VmRSS:\t     100 kB", "VmSwap: garbage kB");
        assertThat(ProcessMemory.fieldKb(lines, "VmHWM:")).isEqualTo(123456);
        assertThat(ProcessMemory.fieldKb(lines, "VmRSS:")).isEqualTo(100);
        assertThat(ProcessMemory.fieldKb(lines, "VmSwap:")).isEqualTo(-1);
        assertThat(ProcessMemory.fieldKb(lines, "VmPeak:")).isEqualTo(-1);
    }

    @Test
    void thisProcessHasAResidentSetWhereProcExists() {
        if (Files.isReadable(Path.of("/proc/self/status"))) {
            assertThat(ProcessMemory.rssKb()).isPositive();
            assertThat(ProcessMemory.peakRssKb()).isGreaterThanOrEqualTo(ProcessMemory.rssKb() / 2);
        } else {
            assertThat(ProcessMemory.rssKb()).isEqualTo(-1);
        }
    }
}
