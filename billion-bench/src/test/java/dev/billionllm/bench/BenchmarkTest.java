package dev.billionllm.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import dev.billionllm.bench.report.ModelReport;
import dev.billionllm.bench.speed.SpeedConfig;
import dev.billionllm.bench.testing.PrefixLM;
import dev.billionllm.bench.testing.WordTokenizer;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkTest {

    private static final int V = 4096;

    private static PrefixLM uniformModel() {
        return new PrefixLM(V, 4096, prefix -> new float[V]);
    }

    @Test
    void runsEveryPartAndReportsThem(@TempDir Path dir) throws IOException, URISyntaxException {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "one two three four five six seven eight nine ten");
        List<String> progress = new ArrayList<>();
        ModelReport r = Benchmark.builder()
                .setModel("scripted", BenchmarkTest::uniformModel)
                .optTokenizer(new WordTokenizer())
                .optRuntime("test", "cpu", 1)
                .optSpeed(new SpeedConfig(List.of(4), List.of(3), 2, 0, 1))
                .optMmlu(Path.of(BenchmarkTest.class.getResource("/mmlu-sample").toURI()), 5, 0)
                .optPerplexity(text, 4, 2)
                .optProbeEngines(false)
                .optProgress(progress::add)
                .build()
                .run();
        assertThat(r.speed()).extracting(s -> s.test()).containsExactly("pp4", "tg3");
        // Uniform logits: every choice ties and argmax picks A (right for 2 of the 9 questions).
        assertThat(r.mmlu().correct()).isEqualTo(2);
        assertThat(r.mmlu().total()).isEqualTo(9);
        // Uniform over V ids: perplexity V exactly; BOS + 10 words = 11 tokens, 10 scored.
        assertThat(r.perplexity().perplexity()).isCloseTo(V, within(1e-6));
        assertThat(r.perplexity().scoredTokens()).isEqualTo(10);
        assertThat(r.parameterCount()).isEqualTo(r.weightBytes() / 4);
        assertThat(r.label()).isEqualTo("scripted");
        assertThat(progress).anyMatch(l -> l.startsWith("scripted: loaded in"))
                .anyMatch(l -> l.startsWith("scripted: MMLU 5-shot micro 0.2222"));

        Benchmark.writeReports(List.of(r), dir.resolve("out"), "scripted");
        assertThat(dir.resolve("out/scripted.md")).content().contains("## MMLU", "## Perplexity");
        assertThat(Benchmark.writeComparison(List.of(r), dir.resolve("docs"), "cmd")).exists();
    }

    @Test
    void realCheckpointEndToEnd(@TempDir Path dir) throws IOException, URISyntaxException {
        Path folder = Fixtures.dir("tiny-tinyllama");
        JsonObject loss = ModelConfigParser.readJson(folder.resolve("golden.json")).getAsJsonObject("loss");
        Path text = dir.resolve("text.txt");
        Files.writeString(text, loss.get("text").getAsString());
        // By name, as the CLI does: the model's own tokenizer scores MMLU and perplexity.
        ModelReport r = Benchmark.builder()
                .setModel("tiny-tinyllama", folder.toString(), LoadOptions.builder().optDevice("cpu").build())
                .optSpeed(new SpeedConfig(List.of(8), List.of(4), 2, 1, 1))
                .optMmlu(Path.of(BenchmarkTest.class.getResource("/mmlu-sample").toURI()), 5, 0)
                .optPerplexity(text, 64, 32)
                .optProbeEngines(false)
                .build()
                .run();
        assertThat(r.mmlu().total()).isEqualTo(9);
        assertThat(r.mmlu().subjects()).hasSize(3);
        // The text fits one window: transformers' loss on the same ids.
        assertThat(r.perplexity().meanNll()).isCloseTo(loss.get("mean_nll").getAsDouble(), within(1e-4));
        assertThat(r.speed()).allSatisfy(s -> assertThat(s.kvCacheBytes()).isPositive());
        assertThat(r.randomWeights()).isFalse();
        assertThat(r.backend()).isEqualTo("pytorch");
    }

    @Test
    void scoringWithoutATokenizerIsAClearError(@TempDir Path dir) {
        Benchmark b = Benchmark.builder().setModel("m", BenchmarkTest::uniformModel).optSpeed(null)
                .optMmlu(dir, 0, 1).optProbeEngines(false).build();
        assertThatThrownBy(b::run).hasMessageContaining("MMLU needs a tokenizer");
        assertThatThrownBy(() -> Benchmark.builder().build()).hasMessageContaining("setModel");
    }
}
