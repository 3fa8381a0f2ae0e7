package dev.billionllm.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.config.GenerationConfigParser;
import dev.billionllm.core.config.GenerationDefaults;
import dev.billionllm.core.testing.Fixtures;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GenerationConfigTest {

    @Test
    void defaultsAreGreedyWithTheModelsEos() {
        GenerationConfig c = GenerationConfig.defaults();
        assertThat(c.maxNewTokens()).isEqualTo(GenerationConfig.DEFAULT_MAX_NEW_TOKENS);
        assertThat(c.isGreedy()).isTrue();
        assertThat(c.eosTokenIds()).isNull();
        assertThat(c.stopStrings()).isEmpty();
        assertThat(c.topK()).isZero();
        assertThat(c.topP()).isEqualTo(1.0);
        assertThat(c.minP()).isZero();
        assertThat(c.repetitionPenalty()).isEqualTo(1.0);
        assertThat(c.seed()).isEmpty();
        assertThat(c.skipSpecialTokens()).isTrue();
    }

    @Test
    void toBuilderRoundTripsAndBuiltConfigsAreImmutable() {
        GenerationConfig c = GenerationConfig.builder().optMaxNewTokens(7).optEosTokenIds(List.of(3, 4))
                .optStopStrings(List.of("\n")).optTemperature(0.7).optTopK(5).optTopP(0.9).optMinP(0.05)
                .optRepetitionPenalty(1.1).optSeed(9).optSkipSpecialTokens(false).build();
        assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c.toBuilder().optSeed(10).build()).isNotEqualTo(c);
        assertThat(c.eosTokenIds()).containsExactly(3, 4);
        assertThatThrownBy(() -> c.eosTokenIds().add(5)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.stopStrings().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(c.toString()).contains("temperature=0.7", "seed=9");
    }

    @Test
    void badValuesFailWhenSet() {
        GenerationConfig.Builder b = GenerationConfig.builder();
        assertThatThrownBy(() -> b.optMaxNewTokens(0)).hasMessageContaining("maxNewTokens must be >= 1, got 0");
        assertThatThrownBy(() -> b.optTemperature(-0.1)).hasMessageContaining("temperature").hasMessageContaining("-0.1");
        assertThatThrownBy(() -> b.optTemperature(Double.NaN)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> b.optTopK(-1)).hasMessageContaining("topK must be >= 0");
        assertThatThrownBy(() -> b.optTopP(0)).hasMessageContaining("topP must be in (0, 1]");
        assertThatThrownBy(() -> b.optTopP(1.5)).hasMessageContaining("1.5");
        assertThatThrownBy(() -> b.optMinP(1)).hasMessageContaining("minP must be in [0, 1)");
        assertThatThrownBy(() -> b.optMinP(-0.1)).hasMessageContaining("minP");
        assertThatThrownBy(() -> b.optRepetitionPenalty(0)).hasMessageContaining("repetitionPenalty must be");
        assertThatThrownBy(() -> b.optEosTokenIds(List.of(-1))).hasMessageContaining("eos token ids must be >= 0");
        assertThatThrownBy(() -> b.optStopStrings(List.of(""))).hasMessageContaining("non-empty");
        // nothing above changed the builder
        assertThat(b.build()).isEqualTo(GenerationConfig.defaults());
    }

    @Test
    void fromDefaultsFollowsTransformers() {
        GenerationDefaults sampled = GenerationDefaults.builder().optDoSample(true).optTemperature(0.6)
                .optTopP(0.9).optEosTokenIds(List.of(128001, 128008, 128009)).build();
        GenerationConfig c = GenerationConfig.fromDefaults(sampled);
        assertThat(c.temperature()).isEqualTo(0.6);
        assertThat(c.topP()).isEqualTo(0.9);
        assertThat(c.topK()).isEqualTo(50); // transformers' default when do_sample and no top_k
        assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);

        // without do_sample, transformers decodes greedily whatever the temperature says
        GenerationDefaults greedy = GenerationDefaults.builder().optTemperature(0.6).optMaxNewTokens(12)
                .optRepetitionPenalty(1.2).build();
        GenerationConfig g = GenerationConfig.fromDefaults(greedy);
        assertThat(g.isGreedy()).isTrue();
        assertThat(g.maxNewTokens()).isEqualTo(12);
        assertThat(g.repetitionPenalty()).isEqualTo(1.2);
        assertThat(g.eosTokenIds()).isNull();
    }

    @Test
    void fromTheFixturesGenerationConfigJson() {
        GenerationDefaults d = GenerationConfigParser.parse(Fixtures.dir("tiny-llama32"));
        GenerationConfig c = GenerationConfig.fromDefaults(d);
        assertThat(c.eosTokenIds()).isEqualTo(Set.of(1, 4));
        assertThat(c.isGreedy()).isTrue();
    }
}
