package dev.billionllm.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoadOptionsTest {

    @Test
    void threadsAreBoundedByTheMachineForLibraryCallersToo() {
        int max = LoadOptions.maxThreads();
        assertThat(max).isEqualTo(LoadOptions.THREADS_PER_PROCESSOR * Runtime.getRuntime().availableProcessors());
        assertThat(LoadOptions.builder().optThreads(max).build().threads()).isEqualTo(max);
        assertThat(LoadOptions.builder().optThreads(0).build().threads()).isZero();
        // The issue's --threads 100000 hung the process; the library now refuses it up front.
        assertThatThrownBy(() -> LoadOptions.builder().optThreads(100_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("available processors")
                .hasMessageContaining("100000");
        assertThatThrownBy(() -> LoadOptions.builder().optThreads(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
