package dev.billionllm.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** generation_config.json parsing and GenerationDefaults invariants. */
class GenerationConfigParserTest {

    @TempDir
    Path tmp;

    @Test
    void fixtureWithSingleEos() {
        GenerationDefaults d = GenerationConfigParser.parse(Fixtures.dir("tiny-tinyllama"));
        assertThat(d.bosTokenId()).isEqualTo(OptionalInt.of(1));
        assertThat(d.eosTokenIds()).containsExactly(2);
        assertThat(d.padTokenId()).isEmpty();
        assertThat(d.doSample()).isEmpty();
        assertThat(d.temperature()).isEmpty();
    }

    @Test
    void fixtureWithEosList() {
        GenerationDefaults d = GenerationConfigParser.parse(Fixtures.dir("tiny-llama32"));
        assertThat(d.bosTokenId()).isEqualTo(OptionalInt.of(0));
        assertThat(d.eosTokenIds()).containsExactly(1, 4);
    }

    @Test
    void absentFileGivesEmptyDefaults() {
        assertThat(GenerationConfigParser.parse(tmp)).isEqualTo(GenerationDefaults.empty());
        assertThat(GenerationConfigParser.parse(tmp.resolve("generation_config.json")).isEmpty()).isTrue();
    }

    @Test
    void everySupportedKeyIsRead() throws IOException {
        Path file = write("{\"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009],"
                + " \"pad_token_id\": 0, \"do_sample\": true, \"temperature\": 0.6, \"top_k\": 40,"
                + " \"top_p\": 0.9, \"min_p\": 0.05, \"repetition_penalty\": 1.1, \"max_new_tokens\": 256,"
                + " \"max_length\": 4096, \"transformers_version\": \"4.45.0\", \"use_cache\": true}");
        GenerationDefaults d = GenerationConfigParser.parse(file);
        assertThat(d).isEqualTo(new GenerationDefaults(OptionalInt.of(128000), List.of(128001, 128008, 128009),
                OptionalInt.of(0), Optional.of(true), OptionalDouble.of(0.6), OptionalInt.of(40),
                OptionalDouble.of(0.9), OptionalDouble.of(0.05), OptionalDouble.of(1.1), OptionalInt.of(256),
                OptionalInt.of(4096)));
    }

    @Test
    void nullValuesCountAsAbsent() throws IOException {
        GenerationDefaults d = GenerationConfigParser.parse(write("{\"pad_token_id\": null, \"eos_token_id\": null}"));
        assertThat(d.isEmpty()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "temperature | \"hot\"",
            "temperature | -0.5",
            "top_p | 1.5",
            "top_p | 0",
            "top_k | -1",
            "top_k | 2.5",
            "min_p | 2",
            "repetition_penalty | 0",
            "max_new_tokens | 0",
            "max_length | -3",
            "do_sample | 1",
            "eos_token_id | [1, \"2\"]",
            "eos_token_id | [1, -2]",
            "bos_token_id | -1"})
    void badValueNamesFileAndField(String field, String value) throws IOException {
        Path file = write("{\"" + field + "\": " + value + "}");
        assertThatThrownBy(() -> GenerationConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("\"" + field + "\"");
    }

    @Test
    void malformedJsonNamesTheFile() throws IOException {
        Path file = write("{\"temperature\": ");
        assertThatThrownBy(() -> GenerationConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void builderRejectsBadValuesAtOnce() {
        assertThatThrownBy(() -> GenerationDefaults.builder().optTopP(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("top_p");
        assertThatThrownBy(() -> GenerationDefaults.builder().optTemperature(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("temperature");
        assertThatThrownBy(() -> GenerationDefaults.builder().optEosTokenIds(List.of(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eos_token_id");
    }

    @Test
    void orElseKeepsPresentFieldsAndFillsAbsentOnes() {
        GenerationDefaults folder = GenerationDefaults.builder().optEosTokenIds(List.of(7)).optTemperature(0.3).build();
        GenerationDefaults spec = GenerationDefaults.builder()
                .optEosTokenIds(List.of(2)).optTemperature(0.7).optTopP(0.9).optMaxNewTokens(64).build();
        GenerationDefaults merged = folder.orElse(spec);
        assertThat(merged.eosTokenIds()).containsExactly(7);
        assertThat(merged.temperature()).isEqualTo(OptionalDouble.of(0.3));
        assertThat(merged.topP()).isEqualTo(OptionalDouble.of(0.9));
        assertThat(merged.maxNewTokens()).isEqualTo(OptionalInt.of(64));
        assertThat(merged.toBuilder().build()).isEqualTo(merged);
    }

    private Path write(String json) throws IOException {
        Path file = Files.createTempFile(tmp, "generation_config", ".json");
        Files.writeString(file, json);
        return file;
    }
}
