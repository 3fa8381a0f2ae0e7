package dev.billionllm.core.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every tokenizer probe of every fixture equals what transformers produced (golden.json). */
class HfTokenizerTest {

    static JsonObject golden(String fixture) throws IOException {
        return JsonParser.parseString(Files.readString(Fixtures.dir(fixture).resolve("golden.json"))).getAsJsonObject();
    }

    static int[] ints(JsonElement array) {
        JsonArray a = array.getAsJsonArray();
        return IntStream.range(0, a.size()).map(i -> a.get(i).getAsInt()).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void probesMatchTransformers(String fixture) throws IOException {
        JsonArray probes = golden(fixture).getAsJsonArray("tokenizer");
        assertThat(probes.size()).isGreaterThan(0);
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir(fixture))) {
            for (JsonElement e : probes) {
                JsonObject p = e.getAsJsonObject();
                String text = p.get("text").getAsString();
                int[] withSpecial = ints(p.get("ids_with_special"));
                assertThat(tok.encode(text, true)).as("%s ids_with_special of %s", fixture, text).containsExactly(withSpecial);
                assertThat(tok.encode(text, false)).as("%s ids_plain of %s", fixture, text).containsExactly(ints(p.get("ids_plain")));
                assertThat(tok.decode(withSpecial, true)).as("%s decoded of %s", fixture, text).isEqualTo(p.get("decoded").getAsString());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void promptIdsMatchTransformers(String fixture) throws IOException {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir(fixture))) {
            for (JsonElement e : golden(fixture).getAsJsonArray("prompts")) {
                JsonObject p = e.getAsJsonObject();
                assertThat(tok.encode(p.get("text").getAsString(), true)).containsExactly(ints(p.get("input_ids")));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void generatedIdsDecodeLikeTransformers(String fixture) throws IOException {
        // greedy_text is transformers' decode of the new ids with special tokens kept.
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir(fixture))) {
            JsonArray generations = golden(fixture).getAsJsonArray("generation");
            assertThat(generations.size()).isGreaterThan(0);
            for (JsonElement e : generations) {
                JsonObject g = e.getAsJsonObject();
                assertThat(tok.decode(ints(g.get("greedy_new_ids")), false)).isEqualTo(g.get("greedy_text").getAsString());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void longInputIsNotTruncated(String fixture) {
        // DJL's default truncates at 512 tokens; a 700-word text must keep every token.
        String text = "x ".repeat(700).trim();
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir(fixture))) {
            int[] ids = tok.encode(text, false);
            assertThat(ids.length).isGreaterThan(600);
            assertThat(tok.decode(ids, true)).isEqualTo(text);
        }
    }

    @Test
    void specialTokensComeFromTokenizerConfig() {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-tinyllama"))) {
            assertThat(tok.bosToken()).isEqualTo("<s>");
            assertThat(tok.eosToken()).isEqualTo("</s>");
            assertThat(tok.unkToken()).isEqualTo("<unk>");
            assertThat(tok.padToken()).isNull();
            assertThat(tok.tokenToId("<s>")).isEqualTo(1);
            assertThat(tok.idToToken(2)).isEqualTo("</s>");
            assertThat(tok.idToToken(3)).isEqualTo("<0x00>");
            assertThat(tok.tokenToId("no such token")).isEqualTo(-1);
            assertThat(tok.specialTokenIds()).containsExactly(0, 1, 2);
            assertThat(tok.vocabSize()).isEqualTo(706);
            assertThat(tok.decode(new int[] {1, 320, 307, 2}, false)).startsWith("<s>").endsWith("</s>");
        }
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-llama32"))) {
            assertThat(tok.eosToken()).isEqualTo("<|eot_id|>");
            assertThat(tok.specialTokenIds()).containsExactly(0, 1, 2, 3, 4);
        }
    }

    @Test
    void idOutsideTheTokenizerIsRejected() {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-pythia"))) {
            int past = tok.vocabSize();
            assertThatThrownBy(() -> tok.decode(new int[] {5, past}, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Token id " + past).hasMessageContaining("position 1");
        }
    }

    /** A copy of tiny-tinyllama's tokenizer with our own tokenizer_config.json. */
    private static Path withConfig(Path dir, String config) throws IOException {
        Files.copy(Fixtures.dir("tiny-tinyllama").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), config, StandardCharsets.UTF_8);
        return dir;
    }

    @Test
    void addBosAndEosFlagsOverrideThePostProcessor(@TempDir Path dir) throws IOException {
        withConfig(dir, """
                {"bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>",
                 "add_bos_token": false, "add_eos_token": true}""");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            int[] plain = tok.encode("hello world", false);
            int[] with = tok.encode("hello world", true);
            assertThat(plain).containsExactly(320, 307, 278, 324, 427, 284, 278, 270);
            assertThat(with).containsExactly(320, 307, 278, 324, 427, 284, 278, 270, 2);
            assertThat(tok.bosToken()).isEqualTo("<s>");
        }
    }

    @Test
    void addedTokensDecoderAddsSpecialTokens(@TempDir Path dir) throws IOException {
        withConfig(dir, """
                {"bos_token": "<s>", "eos_token": "</s>",
                 "added_tokens_decoder": {
                   "706": {"content": "<|tool|>", "special": true, "lstrip": false, "rstrip": false,
                           "normalized": false, "single_word": false}}}""");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            int[] ids = tok.encode("hello<|tool|>world", false);
            assertThat(ids).contains(706);
            assertThat(tok.tokenToId("<|tool|>")).isEqualTo(706);
            assertThat(tok.vocabSize()).isEqualTo(707);
            assertThat(tok.specialTokenIds()).contains(706);
            assertThat(tok.decode(ids, true)).doesNotContain("<|tool|>");
            assertThat(tok.decode(ids, false)).contains("<|tool|>");
        }
    }

    @Test
    void addedTokenWithAGapInIdsIsRejected(@TempDir Path dir) throws IOException {
        withConfig(dir, """
                {"added_tokens_decoder": {"900": {"content": "<|far|>", "special": true}}}""");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tokenizer_config.json").hasMessageContaining("<|far|>")
                .hasMessageContaining("900").hasMessageContaining("[706]");
    }

    @Test
    void missingFolderAndFilesAreNamed(@TempDir Path dir) throws IOException {
        Path nowhere = dir.resolve("nowhere");
        assertThatThrownBy(() -> HfTokenizer.load(nowhere))
                .isInstanceOf(ConfigException.class).hasMessageContaining(nowhere.toString());
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tokenizer.json");
    }

    @Test
    void invalidFilesAreNamed(@TempDir Path dir) throws IOException {
        withConfig(dir, "{\"bos_token\": ");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tokenizer_config.json").hasMessageContaining("invalid JSON");

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ConfigException.class).hasMessageContaining("add_bos_token");

        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        Files.writeString(dir.resolve("tokenizer.json"), "[1, 2]");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tokenizer.json").hasMessageContaining("JSON object");

        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tokenizer.json");
    }

    @Test
    void cleanUpMatchesTransformers() {
        assertThat(HfTokenizer.cleanUp("Hello , world . I 'm sure it 's fine , is n't it ?"))
                .isEqualTo("Hello, world. I'm sure it's fine, isn't it?");
    }
}
