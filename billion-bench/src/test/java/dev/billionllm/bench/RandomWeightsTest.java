package dev.billionllm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.bench.report.ModelReport;
import dev.billionllm.bench.speed.SpeedConfig;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class RandomWeightsTest {

    private static final ModelConfig TINY = ModelConfigParser.parse(Fixtures.dir("tiny-tinyllama").resolve("config.json"));

    @Test
    void buildsAWorkingModelOfTheConfigsShapeReproducibly() {
        float[] first;
        try (CausalLM lm = RandomWeights.source(TINY, LoadOptions.builder().optDevice("cpu").build(), 7).load();
                KvCache cache = lm.newCache(1, 4)) {
            Logits logits = lm.forward(TokenBatch.of(1, 2, 3), cache, LogitsMode.LAST);
            assertThat(logits.vocab()).isEqualTo(TINY.vocabSize());
            first = logits.values();
            for (float v : first) {
                assertThat(v).isFinite();
            }
        }
        try (CausalLM lm = RandomWeights.source(TINY, LoadOptions.builder().optDevice("cpu").build(), 7).load();
                KvCache cache = lm.newCache(1, 4)) {
            assertThat(lm.forward(TokenBatch.of(1, 2, 3), cache, LogitsMode.LAST).values()).containsExactly(first);
        }
    }

    @Test
    void benchmarkReportsAreMarkedRandom() {
        ModelReport r = Benchmark.builder()
                .setModel("tiny", RandomWeights.source(TINY, LoadOptions.builder().optDevice("cpu").build(), 1))
                .optRandomWeights(true)
                .optSpeed(new SpeedConfig(List.of(16), List.of(8), 2, 1, 3))
                .build()
                .run();
        assertThat(r.label()).isEqualTo("tiny (random weights)");
        assertThat(r.speed()).allSatisfy(s -> assertThat(s.tokensPerSecond()).isPositive());
        assertThat(r.parameterCount()).isEqualTo(TINY.parameterCount());
        assertThat(r.environment().pytorchVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(r.memory().peakRssBytes()).isPositive();
    }
}
