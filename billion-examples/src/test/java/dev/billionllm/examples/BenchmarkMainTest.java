package dev.billionllm.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.bench.report.ModelReport;
import dev.billionllm.bench.report.Reports;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkMainTest {

    private static int run(String... args) {
        return Benchmark.commandLine().execute(args);
    }

    @Test
    void measuresARandomWeightModelThenCompares(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("runs");
        String folder = Fixtures.dir("tiny-tinyllama").toString();
        assertThat(run("--model", folder, "--random-weights", "--pp", "4", "--tg", "2", "--reps", "1", "--warmup", "0",
                "--out", out.toString())).isZero();
        List<ModelReport> reports = Reports.readJson(Files.readString(out.resolve("tiny-tinyllama.json")), "run");
        assertThat(reports).singleElement().satisfies(r -> {
            assertThat(r.label()).isEqualTo("tiny-tinyllama (random weights)");
            assertThat(r.speed()).extracting(s -> s.test()).containsExactly("pp4", "tg2");
        });
        assertThat(out.resolve("tiny-tinyllama.md")).content().contains("| tiny-tinyllama (random weights) |");

        assertThat(run("--compare", out.toString(), "--docs", dir.resolve("docs").toString())).isZero();
        assertThat(dir.resolve("docs/COMPARISON.md")).content().contains("tiny-tinyllama (random weights)");
        assertThat(dir.resolve("docs/comparison/tokens-per-second.png")).isNotEmptyFile();
    }

    @Test
    void scoresACheckpointFolderThroughTheBackend(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the dog ran to the river. two plus three is five.");
        String folder = Fixtures.dir("tiny-tinyllama").toString();
        assertThat(run("--model", folder, "--skip-speed", "--ppl-text", text.toString(), "--window", "16", "--stride",
                "8", "--out", dir.toString())).isZero();
        ModelReport r = Reports.readJson(Files.readString(dir.resolve("tiny-tinyllama.json")), "run").get(0);
        assertThat(r.randomWeights()).isFalse();
        assertThat(r.speed()).isEmpty();
        // transformers' mean loss on these 7 tokens is 3.0093 (golden.json); one window covers them.
        assertThat(r.perplexity().meanNll()).isCloseTo(3.0093372, org.assertj.core.api.Assertions.within(1e-4));
    }

    @Test
    void unknownModelsFailWithoutAStackOfWork(@TempDir Path dir) {
        assertThat(run("--model", "no-such-model", "--random-weights", "--out", dir.toString())).isNotZero();
        assertThat(run("--model", "no-such-folder", "--out", dir.toString())).isNotZero();
        assertThat(run()).isNotZero();
    }
}
