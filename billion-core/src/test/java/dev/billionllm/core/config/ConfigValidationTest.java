package dev.billionllm.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import dev.billionllm.core.tokenize.TokenizerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * config.json and its siblings come with a downloaded model: every number is checked before
 * anything is sized from it, and the JSON files are read the same strict way (issue 15).
 */
class ConfigValidationTest {

    @TempDir
    Path tmp;

    private Path configWith(String key, String value) throws IOException {
        JsonObject json = JsonFiles.readObject(Fixtures.dir("tiny-tinyllama").resolve("config.json"));
        json.add(key, com.google.gson.JsonParser.parseString(value));
        Path file = tmp.resolve("config.json");
        Files.writeString(file, json.toString());
        return file;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // The cases of the issue: an OOM (head_dim² floats), then two int overflows.
        "head_dim|40000|head_dim 40000 is outside the accepted range [1, 1024]",
        "head_dim|50000|head_dim 50000 is outside the accepted range [1, 1024]",
        "head_dim|65536|head_dim 65536 is outside the accepted range [1, 1024]",
        "head_dim|0|head_dim must be > 0, got 0",
        "rms_norm_eps|-1e30|rms_norm_eps -1.0E30 is outside the accepted range (0, 1)",
        "rms_norm_eps|0|rms_norm_eps 0.0 is outside the accepted range (0, 1)",
        "rms_norm_eps|1e300|rms_norm_eps 1.0E300 is outside the accepted range (0, 1)",
        "hidden_size|1073741824|hidden_size 1073741824 is outside the accepted range [1, 65536]",
        "vocab_size|2147483647|vocab_size 2147483647 is outside the accepted range [1, 16777216]",
        "intermediate_size|1000000000|intermediate_size 1000000000 is outside the accepted range [1, 262144]",
        "num_hidden_layers|100000|num_hidden_layers 100000 is outside the accepted range [1, 1024]",
        "num_key_value_heads|8|num_attention_heads (4) must be a multiple of num_key_value_heads (8)",
        "max_position_embeddings|2147483647|max_position_embeddings 2147483647 is outside the accepted range [1, 16777216]",
        "max_position_embeddings|1e10|field \"max_position_embeddings\" must be an integer",
        "rope_theta|-1|rope_theta must be > 0",
        "rope_theta|1e300|rope_theta 1.0E300 is outside the accepted range (0, 1.0E12]",
        "rope_scaling|{\"rope_type\": \"linear\", \"factor\": -2}|rope_scaling factor -2.0 is outside the accepted range",
        "rope_scaling|{\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 4, \"high_freq_factor\": 4, "
                + "\"original_max_position_embeddings\": 8192}|high_freq_factor 4.0 must be greater than low_freq_factor 4.0",
    })
    void outOfRangeNumbersNameFileKeyValueAndRange(String key, String value, String expected) throws IOException {
        Path file = configWith(key, value);
        assertThatThrownBy(() -> ModelConfigParser.parse(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file.toString()).hasMessageContaining(expected);
    }

    @Test
    void productsAreCheckedWithoutOverflow() throws IOException {
        JsonObject json = JsonFiles.readObject(Fixtures.dir("tiny-tinyllama").resolve("config.json"));
        json.add("vocab_size", new JsonPrimitive(16_000_000));
        json.add("hidden_size", new JsonPrimitive(4096));
        json.add("num_attention_heads", new JsonPrimitive(32));
        json.add("num_key_value_heads", new JsonPrimitive(8));
        json.remove("head_dim");
        assertThatThrownBy(() -> ModelConfigParser.parse(json, "big/config.json")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("big/config.json: vocab_size x hidden_size (embedding) = 16000000 x 4096");
        // Published shapes pass: Llama-3.1-405B's widths and vocabulary.
        json.add("vocab_size", new JsonPrimitive(128_256));
        json.add("hidden_size", new JsonPrimitive(16_384));
        json.add("num_attention_heads", new JsonPrimitive(128));
        json.add("intermediate_size", new JsonPrimitive(53_248));
        json.add("max_position_embeddings", new JsonPrimitive(131_072));
        assertThat(ModelConfigParser.parse(json, "ok").headDim()).isEqualTo(128);
    }

    @Test
    void aConfigBuiltInCodeIsCheckedBeforeTheBackendAllocates() throws ReflectiveOperationException {
        ModelConfig c = ModelConfigParser.parse(Fixtures.dir("tiny-tinyllama"));
        // A copy with head_dim 40000, through the canonical constructor whatever fields it has.
        var components = ModelConfig.class.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = components[i].getName().equals("headDim") ? 40_000 : components[i].getAccessor().invoke(c);
        }
        ModelConfig huge = ModelConfig.class.getDeclaredConstructor(types).newInstance(args);
        assertThatThrownBy(() -> dev.billionllm.core.backend.Backends.get("pytorch").load(
                Fixtures.dir("tiny-tinyllama"), huge, dev.billionllm.core.backend.LoadOptions.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("head_dim 40000 is outside the accepted range");
    }

    @Test
    void duplicateKeysAreRejectedInEveryJsonFile() throws IOException {
        String config = Files.readString(Fixtures.dir("tiny-tinyllama").resolve("config.json"));
        Path file = tmp.resolve("config.json");
        Files.writeString(file, config.replaceFirst("\\{", "{\"hidden_size\": 1, "));
        assertThatThrownBy(() -> ModelConfigParser.parse(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("key \"hidden_size\" appears twice");

        Path gen = tmp.resolve("generation_config.json");
        Files.writeString(gen, "{\"temperature\": 0.5, \"top_p\": 0.9, \"temperature\": 2.0}");
        assertThatThrownBy(() -> GenerationConfigParser.parse(gen)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(gen.toString()).hasMessageContaining("key \"temperature\" appears twice");

        Path tc = tmp.resolve("tokenizer_config.json");
        Files.writeString(tc, "{\"bos_token\": \"<s>\", \"chat_template\": {\"a\": 1, \"a\": 2}}");
        assertThatThrownBy(() -> TokenizerConfig.read(tc)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(tc.toString()).hasMessageContaining("key \"a\" appears twice");
    }

    @Test
    void invalidJsonErrorsCarryNoGsonAdvice() throws IOException {
        Path gen = tmp.resolve("generation_config.json");
        Files.writeString(gen, "{\"temperature\": 0.5,, }");
        assertThatThrownBy(() -> GenerationConfigParser.parse(gen)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(gen + ": invalid JSON: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("gson").doesNotContain("Troubleshooting")
                        .doesNotContain("\n"));
    }

    @Test
    void nonUtf8TokenizerJsonNamesTheFile() throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        byte[] json = Files.readAllBytes(Fixtures.dir("tiny-tinyllama").resolve("tokenizer.json"));
        json[json.length / 2] = (byte) 0xff; // never valid in UTF-8
        Files.write(dir.resolve("tokenizer.json"), json);
        assertThatThrownBy(() -> HfTokenizer.load(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json") + ": not UTF-8 text")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Input length"));
        Files.write(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> TokenizerConfig.read(dir.resolve("tokenizer_config.json")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not UTF-8 text");
    }

    @Test
    void deeplyNestedJsonIsAClearError() throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, "{\"a\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        assertThatThrownBy(() -> ModelConfigParser.parse(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ": invalid JSON");
    }
}
