package dev.billionllm.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** config.json in both transformers key styles, for every fixture family, and the error paths. */
class ModelConfigParserTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-tinyllama-draft", "tiny-llama32", "tiny-stablelm2",
            "tiny-pythia", "small-llama-pair/small-llama-target", "small-llama-pair/small-llama-draft"})
    void transformers4And5KeysParseToEqualConfigs(String fixture) {
        Path dir = Fixtures.dir(fixture);
        ModelConfig v4 = ModelConfigParser.parse(dir.resolve("config.json"));
        ModelConfig v5 = ModelConfigParser.parse(dir.resolve("config.transformers5.json"));
        assertThat(v5).isEqualTo(v4);
        // A folder argument reads its config.json.
        assertThat(ModelConfigParser.parse(dir)).isEqualTo(v4);
    }

    @Test
    void tinyTinyllamaIsLlamaWithGqa() {
        ModelConfig c = ModelConfigParser.parse(Fixtures.dir("tiny-tinyllama"));
        assertThat(c.family()).isEqualTo(Family.LLAMA);
        assertThat(c.numAttentionHeads()).isEqualTo(4);
        assertThat(c.numKeyValueHeads()).isEqualTo(2);
        assertThat(c.queriesPerKeyValue()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(16);
        assertThat(c.vocabSize()).isEqualTo(768);
        assertThat(c.normKind()).isEqualTo(NormKind.RMS_NORM);
        assertThat(c.normEps()).isEqualTo(1e-5);
        assertThat(c.mlpKind()).isEqualTo(MlpKind.GATED);
        assertThat(c.activation()).isEqualTo(Activation.SILU);
        assertThat(c.rope()).isEqualTo(RopeConfig.simple(10000.0));
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.qkvBias()).isFalse();
        assertThat(c.qkvFused()).isFalse();
        assertThat(c.parallelResidual()).isFalse();
        assertThat(c.bosTokenId()).isEqualTo(1);
        assertThat(c.eosTokenIds()).containsExactly(2);
        assertThat(c.padTokenId()).isEqualTo(-1);
        assertThat(c.torchDtype()).isEqualTo("float32");
    }

    @Test
    void tinyLlama32HasLlama3RopeTiedEmbeddingsAndEosList() {
        ModelConfig c = ModelConfigParser.parse(Fixtures.dir("tiny-llama32"));
        assertThat(c.family()).isEqualTo(Family.LLAMA);
        assertThat(c.rope().type()).isEqualTo(RopeType.LLAMA3);
        assertThat(c.rope().theta()).isEqualTo(500000.0);
        assertThat(c.rope().factor()).isEqualTo(32.0);
        assertThat(c.rope().lowFreqFactor()).isEqualTo(1.0);
        assertThat(c.rope().highFreqFactor()).isEqualTo(4.0);
        assertThat(c.rope().originalMaxPositionEmbeddings()).isEqualTo(8192);
        assertThat(c.rope().partialRotaryFactor()).isEqualTo(1.0);
        assertThat(c.headDim()).isEqualTo(16);
        assertThat(c.numKeyValueHeads()).isEqualTo(2);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(131072);
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.bosTokenId()).isEqualTo(0);
        assertThat(c.eosTokenIds()).containsExactly(1, 4);
    }

    @Test
    void tinyStablelmHasLayerNormPartialRotaryAndQkvBias() {
        ModelConfig c = ModelConfigParser.parse(Fixtures.dir("tiny-stablelm2"));
        assertThat(c.family()).isEqualTo(Family.STABLELM);
        assertThat(c.normKind()).isEqualTo(NormKind.LAYER_NORM);
        assertThat(c.rope().type()).isEqualTo(RopeType.DEFAULT);
        assertThat(c.rope().theta()).isEqualTo(10000.0);
        assertThat(c.rope().partialRotaryFactor()).isEqualTo(0.25);
        assertThat(c.rope().rotaryDim(c.headDim())).isEqualTo(4);
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.outputBias()).isFalse();
        assertThat(c.mlpBias()).isFalse();
        assertThat(c.qkNorm()).isFalse();
        assertThat(c.parallelResidual()).isFalse();
        assertThat(c.qkvFused()).isFalse();
        assertThat(c.mlpKind()).isEqualTo(MlpKind.GATED);
        assertThat(c.numKeyValueHeads()).isEqualTo(c.numAttentionHeads());
        assertThat(c.tieWordEmbeddings()).isFalse();
    }

    @Test
    void tinyPythiaIsFusedParallelGeluWithRotaryPct() {
        ModelConfig c = ModelConfigParser.parse(Fixtures.dir("tiny-pythia"));
        assertThat(c.family()).isEqualTo(Family.GPT_NEOX);
        assertThat(c.qkvFused()).isTrue();
        assertThat(c.parallelResidual()).isTrue();
        assertThat(c.mlpKind()).isEqualTo(MlpKind.PLAIN);
        assertThat(c.activation()).isEqualTo(Activation.GELU);
        assertThat(c.normKind()).isEqualTo(NormKind.LAYER_NORM);
        assertThat(c.rope().partialRotaryFactor()).isEqualTo(0.25);
        assertThat(c.rope().theta()).isEqualTo(10000.0);
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.outputBias()).isTrue();
        assertThat(c.mlpBias()).isTrue();
        assertThat(c.numKeyValueHeads()).isEqualTo(4);
        assertThat(c.vocabSize()).isEqualTo(512);
    }

    @Test
    void smallLlamaTargetIsBf16() {
        ModelConfig c = ModelConfigParser.parse(Fixtures.dir("small-llama-pair/small-llama-target"));
        assertThat(c.torchDtype()).isEqualTo("bfloat16");
        assertThat(c.numHiddenLayers()).isEqualTo(6);
        assertThat(c.hiddenSize()).isEqualTo(256);
        assertThat(c.headDim()).isEqualTo(32);
    }

    @Test
    void unknownModelTypeListsSupportedTypes() throws IOException {
        Path file = write("{\"model_type\": \"mistral\", \"hidden_size\": 64}");
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("mistral")
                .hasMessageContaining("llama, stablelm, gpt_neox");
    }

    @Test
    void missingModelTypeIsAConfigError() throws IOException {
        Path file = write("{\"hidden_size\": 64}");
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("model_type");
    }

    @Test
    void malformedJsonNamesTheFile() throws IOException {
        Path file = write("{\"model_type\": \"llama\", ");
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("invalid JSON");
    }

    @Test
    void topLevelArrayIsRejected() throws IOException {
        Path file = write("[1, 2]");
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("JSON object");
    }

    @Test
    void missingFileNamesTheFile() {
        Path file = tmp.resolve("nope/config.json");
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("not found");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\"hidden_size\": \"64\"",
            "\"hidden_size\": 64.5",
            "\"rms_norm_eps\": \"small\"",
            "\"tie_word_embeddings\": \"yes\"",
            "\"eos_token_id\": [2, \"x\"]",
            "\"eos_token_id\": [2, 2.5]",
            "\"rope_scaling\": 3",
            "\"torch_dtype\": 16"})
    void wrongFieldTypeNamesFileAndField(String override) throws IOException {
        String field = override.substring(1, override.indexOf('"', 1));
        Path file = write(tinyLlamaWith(override));
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("\"" + field + "\"");
    }

    @Test
    void missingRequiredFieldIsNamed() throws IOException {
        String json = Files.readString(Fixtures.dir("tiny-tinyllama").resolve("config.json"))
                .replace("\"vocab_size\": 768", "\"unused\": 0");
        Path file = write(json);
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("\"vocab_size\"");
    }

    @Test
    void zeroHeadsIsAConfigErrorNotAnArithmeticException() throws IOException {
        Path file = write(tinyLlamaWith("\"num_attention_heads\": 0"));
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("num_attention_heads");
    }

    @Test
    void inconsistentHeadsAreAConfigError() throws IOException {
        Path file = write(tinyLlamaWith("\"num_key_value_heads\": 3"));
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("num_key_value_heads");
    }

    @Test
    void unknownRopeTypeListsSupportedOnes() throws IOException {
        Path file = write(tinyLlamaWith("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"));
        assertThatThrownBy(() -> ModelConfigParser.parse(file))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("yarn")
                .hasMessageContaining("default, linear, llama3");
    }

    @Test
    void legacyRopeScalingTypeKeyIsRead() throws IOException {
        Path file = write(tinyLlamaWith("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}"));
        RopeConfig rope = ModelConfigParser.parse(file).rope();
        assertThat(rope.type()).isEqualTo(RopeType.LINEAR);
        assertThat(rope.factor()).isEqualTo(2.0);
    }

    @Test
    void eosAsSingleNumberOrListBothParse() throws IOException {
        assertThat(ModelConfigParser.parse(write(tinyLlamaWith("\"eos_token_id\": [2, 7]"))).eosTokenIds())
                .isEqualTo(List.of(2, 7));
        assertThat(ModelConfigParser.parse(write(tinyLlamaWith("\"eos_token_id\": 5"))).eosTokenIds())
                .isEqualTo(List.of(5));
    }

    /** tiny-tinyllama's config.json with one field replaced or added. */
    private static String tinyLlamaWith(String field) throws IOException {
        String json = Files.readString(Fixtures.dir("tiny-tinyllama").resolve("config.json"));
        String key = field.substring(0, field.indexOf(':') + 1);
        if (json.contains(key)) {
            // Replace the whole "key": value line (values in the fixture are on one line).
            return json.replaceAll("(?m)^\\s*" + java.util.regex.Pattern.quote(key) + ".*?(,?)$",
                    "  " + java.util.regex.Matcher.quoteReplacement(field) + "$1");
        }
        return json.replaceFirst("\\{", "{\n  " + java.util.regex.Matcher.quoteReplacement(field) + ",");
    }

    private Path write(String json) throws IOException {
        Path file = Files.createTempFile(tmp, "config", ".json");
        Files.writeString(file, json);
        return file;
    }
}
