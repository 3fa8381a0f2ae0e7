package dev.billionllm.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaCppChartsTest {
    static final List<String> RESULTS = List.of("# 2026-12-03 AMD EPYC | flags: avx2",
            "round\trow\tpp_tok_s\ttg_tok_s\tpeak_rss_mib\tload_1min",
            "1\tonnx-int8\t700\t17\t2100\t1.2", "2\tonnx-int8\t600\t19\t2100\t1.3", "3\tonnx-int8\t650\t18\t2100\t1.1",
            "1\tllama.cpp-Q4_0\t120\t40\t700\t1.2", "2\tllama.cpp-Q4_0\t100\t42\t700\t1.2",
            "1\tllama.cpp-Q8_0\t300\t25\t1200\t1.0", "1\tbroken\t\t\t0\t1.0");

    @Test
    void mediansPerRowSkipHeadersAndIncompleteRows() {
        var m = LlamaCppCharts.medians(RESULTS);
        assertThat(m).containsOnlyKeys("onnx-int8", "llama.cpp-Q4_0", "llama.cpp-Q8_0");
        assertThat(m.get("onnx-int8")).containsExactly(650, 18);
        assertThat(m.get("llama.cpp-Q4_0")).containsExactly(110, 41);
    }

    @Test
    void writesSpeedAndRatioCharts(@TempDir Path dir) throws Exception {
        List<Path> files = LlamaCppCharts.write(RESULTS, dir, "-test");
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("llamacpp-speed-test.png", "llamacpp-ratios-test.png");
        for (Path f : files) {
            byte[] png = Files.readAllBytes(f);
            assertThat(png.length).isGreaterThan(1000);
            assertThat(png[1]).isEqualTo((byte) 'P');
        }
    }
}
