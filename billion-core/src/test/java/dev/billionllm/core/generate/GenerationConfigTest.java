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
        assertThatThrownBy(() -> b.optMaxNewTokens(0)).hasMessageContaining("maxNewTokens").hasMessageContaining("got 0");
        assertThatThrownBy(() -> b.optTemperature(-0.1)).hasMessageContaining("temperature").hasMessageContaining("-0.1");
        assertThatThrownBy(() -> b.optTemperature(Double.NaN)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> b.optTopK(-1)).hasMessageContaining("topK) must be >= 0");
        assertThatThrownBy(() -> b.optTopP(0)).hasMessageContaining("topP) must be in (0, 1]");
        assertThatThrownBy(() -> b.optTopP(1.5)).hasMessageContaining("1.5");
        assertThatThrownBy(() -> b.optMinP(1.01)).hasMessageContaining("minP) must be in [0, 1]");
        assertThatThrownBy(() -> b.optMinP(-0.1)).hasMessageContaining("minP");
        assertThatThrownBy(() -> b.optRepetitionPenalty(0)).hasMessageContaining("repetitionPenalty) must be");
        assertThatThrownBy(() -> b.optEosTokenIds(List.of(-1))).hasMessageContaining("eosTokenIds) must be >= 0");
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

    /**
     * generation_config.json and the builder accept the same values, transformers' ranges:
     * min_p 1.0 (MinPLogitsWarper accepts [0, 1]) used to parse but then fail in the builder.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "min_p, 1.0, true", "min_p, 0.0, true", "min_p, 1.5, false", "min_p, -0.1, false",
        "top_p, 1.0, true", "top_p, 0.0, false", "top_k, 0, true", "top_k, -1, false",
        "temperature, 0.0, true", "temperature, -1, false", "repetition_penalty, 0.0, false",
        "repetition_penalty, 1.3, true", "max_new_tokens, 0, false", "max_new_tokens, 1, true"})
    void fileAndBuilderAcceptTheSameValues(String key, String value, boolean valid) {
        com.google.gson.JsonObject json = com.google.gson.JsonParser.parseString(
                "{\"do_sample\": true, \"" + key + "\": " + value + "}").getAsJsonObject();
        java.util.function.Supplier<GenerationConfig> viaFile = () -> GenerationConfig.fromDefaults(
                dev.billionllm.core.config.GenerationConfigParser.parse(json, "generation_config.json"));
        double v = Double.parseDouble(value);
        Runnable viaBuilder = () -> {
            GenerationConfig.Builder b = GenerationConfig.builder();
            switch (key) {
                case "min_p" -> b.optMinP(v);
                case "top_p" -> b.optTopP(v);
                case "top_k" -> b.optTopK((int) v);
                case "temperature" -> b.optTemperature(v);
                case "repetition_penalty" -> b.optRepetitionPenalty(v);
                case "max_new_tokens" -> b.optMaxNewTokens((int) v);
                default -> throw new IllegalArgumentException(key);
            }
        };
        if (valid) {
            viaFile.get();
            viaBuilder.run();
        } else {
            assertThatThrownBy(viaFile::get).hasMessageContaining(key);
            assertThatThrownBy(viaBuilder::run).hasMessageContaining(key);
        }
    }

    /**
     * One validation: GenerationDefaults checks each setting it shares with GenerationConfig by
     * feeding GenerationConfig's builder, so both reject with the very same message, whichever way
     * the value arrives (its builder, its record constructor as {@code orElse} uses it, the file).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "min_p, 1.5", "min_p, -0.1", "top_p, 0.0", "top_p, 1.01", "top_k, -1", "temperature, -1",
        "temperature, Infinity", "repetition_penalty, 0.0", "max_new_tokens, 0", "eos_token_id, -2"})
    void defaultsRejectWithGenerationConfigsOwnMessage(String key, String value) {
        double v = Double.parseDouble(value);
        // One switch: each key sets the same value on both builders.
        record Setters(java.util.function.Consumer<GenerationConfig.Builder> config,
                java.util.function.Consumer<GenerationDefaults.Builder> defaults) {}
        Setters set = switch (key) {
            case "min_p" -> new Setters(b -> b.optMinP(v), b -> b.optMinP(v));
            case "top_p" -> new Setters(b -> b.optTopP(v), b -> b.optTopP(v));
            case "top_k" -> new Setters(b -> b.optTopK((int) v), b -> b.optTopK((int) v));
            case "temperature" -> new Setters(b -> b.optTemperature(v), b -> b.optTemperature(v));
            case "repetition_penalty" -> new Setters(b -> b.optRepetitionPenalty(v), b -> b.optRepetitionPenalty(v));
            case "max_new_tokens" -> new Setters(b -> b.optMaxNewTokens((int) v), b -> b.optMaxNewTokens((int) v));
            default -> new Setters(b -> b.optEosTokenIds(List.of((int) v)), b -> b.optEosTokenIds(List.of((int) v)));
        };
        java.util.function.Consumer<GenerationConfig.Builder> config = set.config();
        java.util.function.Consumer<GenerationDefaults.Builder> defaults = set.defaults();
        Throwable expected = org.assertj.core.api.Assertions.catchThrowable(
                () -> config.accept(GenerationConfig.builder()));
        assertThat(expected).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(key);
        assertThatThrownBy(() -> defaults.accept(GenerationDefaults.builder()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(expected.getMessage());
        // The record constructor (what orElse builds) runs the same check.
        GenerationDefaults e = GenerationDefaults.empty();
        java.util.OptionalDouble d = java.util.OptionalDouble.of(v);
        java.util.OptionalInt i = java.util.OptionalInt.of((int) v);
        assertThatThrownBy(() -> new GenerationDefaults(e.bosTokenId(),
                key.equals("eos_token_id") ? List.of((int) v) : List.of(), e.padTokenId(), e.doSample(),
                key.equals("temperature") ? d : e.temperature(), key.equals("top_k") ? i : e.topK(),
                key.equals("top_p") ? d : e.topP(), key.equals("min_p") ? d : e.minP(),
                key.equals("repetition_penalty") ? d : e.repetitionPenalty(),
                key.equals("max_new_tokens") ? i : e.maxNewTokens(), e.maxLength()))
                .hasMessage(expected.getMessage());
        // A greedy file (do_sample false, so the value would not even be used) is still refused,
        // naming the file and the field; transformers validates these regardless of do_sample too.
        String json = "{\"do_sample\": false, \"" + key + "\": " + (key.equals("eos_token_id") ? "[" + value + "]"
                : key.equals("temperature") && value.equals("Infinity") ? "1e999" : value) + "}";
        assertThatThrownBy(() -> dev.billionllm.core.config.GenerationConfigParser.parse(
                com.google.gson.JsonParser.parseString(json).getAsJsonObject(), "models/x/generation_config.json"))
                .isInstanceOf(dev.billionllm.core.ConfigException.class)
                .hasMessageContaining("models/x/generation_config.json").hasMessageContaining("\"" + key + "\"")
                .hasMessageContaining(expected.getMessage());
    }

    @Test
    void minPOfOneKeepsOnlyTheMostLikelyTokens() {
        float[] logits = {1f, 3f, 3f, 2f};
        LogitsProcessors.minP(1.0).process(logits, new int[0]);
        assertThat(logits).containsExactly(Float.NEGATIVE_INFINITY, 3f, 3f, Float.NEGATIVE_INFINITY);
    }
}
