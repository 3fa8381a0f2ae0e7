package dev.billionllm.core.generate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.chat.ChatTemplates;
import dev.billionllm.core.config.GenerationConfigParser;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.testing.ScriptedLM;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The Generator with the fixtures' real tokenizers and chat templates, driven by a ScriptedLM. */
class FixtureTokenizerGenerationTest {

    static int[] ints(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void promptsAreEncodedAsTransformersDoes(String fixture) {
        Path dir = Fixtures.dir(fixture);
        JsonObject golden = ModelConfigParser.readJson(dir.resolve("golden.json"));
        int vocab = ModelConfigParser.parse(dir).vocabSize();
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            Generator g = Generator.builder(ScriptedLM.builder().optVocabSize(vocab).setScript(3).build())
                    .optTokenizer(tok).build();
            for (JsonElement p : golden.getAsJsonArray("prompts")) {
                JsonObject prompt = p.getAsJsonObject();
                assertThat(g.encode(Prompt.text(prompt.get("text").getAsString())))
                        .containsExactly(ints(prompt.get("input_ids")));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2"})
    void chatPromptsAreRenderedAndEncodedAsApplyChatTemplateDoes(String fixture) {
        Path dir = Fixtures.dir(fixture);
        JsonObject chat = ModelConfigParser.readJson(dir.resolve("golden.json")).getAsJsonObject("chat");
        int vocab = ModelConfigParser.parse(dir).vocabSize();
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            Generator g = Generator.builder(ScriptedLM.builder().optVocabSize(vocab).setScript(3).build())
                    .optTokenizer(tok).optChatTemplate(ChatTemplates.load(dir, tok)).build();
            // rendered with the generation prompt, encoded without adding BOS a second time
            assertThat(g.encode(Prompt.chat(messages(chat)))).containsExactly(ints(chat.get("ids")));
        }
    }

    static List<ChatMessage> messages(JsonObject chat) {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonElement m : chat.getAsJsonArray("messages")) {
            messages.add(new ChatMessage(m.getAsJsonObject().get("role").getAsString(),
                    m.getAsJsonObject().get("content").getAsString()));
        }
        return messages;
    }

    @Test
    void streamingSplitsNoCharacterOfByteFallbackTokens() {
        Path dir = Fixtures.dir("tiny-tinyllama");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            // "é" = C3 A9, "日" = E6 97 A5, "😀" = F0 9F 98 80: each only reachable through <0xNN> tokens
            int[] text = tok.encode("the cat", false);
            List<Integer> script = new ArrayList<>();
            for (int id : text) {
                script.add(id);
            }
            for (String b : new String[] {"C3", "A9", "E6", "97", "A5", "F0", "9F", "98", "80"}) {
                int id = tok.tokenToId("<0x" + b + ">");
                assertThat(id).as("byte token <0x%s>", b).isNotNegative();
                script.add(id);
            }
            script.add(tok.tokenToId("</s>"));
            int vocab = ModelConfigParser.parse(dir).vocabSize();
            ScriptedLM lm = ScriptedLM.builder().optVocabSize(vocab).optUsableVocabSize(tok.vocabSize())
                    .optEosTokenIds(tok.tokenToId("</s>"))
                    .setScript(script.stream().mapToInt(Integer::intValue).toArray()).build();
            Generator g = Generator.builder(lm).optTokenizer(tok).build();
            List<TokenEvent> events = new ArrayList<>();
            GenerationResult r = g.generate(Prompt.text("one"), GenerationConfig.builder().optMaxNewTokens(50).build(),
                    events::add);
            assertThat(r.finishReason()).isEqualTo(FinishReason.EOS);
            assertThat(r.tokenIds()).hasSize(script.size());
            String joined = events.stream().map(TokenEvent::text).collect(Collectors.joining());
            assertThat(joined).isEqualTo(r.text());
            assertThat(r.text()).isEqualTo(tok.decode(r.tokenIdArray(), true)).endsWith("é日😀");
            // no delta carries half a character
            assertThat(events).allSatisfy(e -> assertThat(e.text()).doesNotContain("\uFFFD"));
            // the four bytes of the emoji come out as one delta, on its last byte
            int last = events.size() - 2;
            assertThat(events.get(last).text()).isEqualTo("😀");
            assertThat(events.subList(last - 3, last)).allSatisfy(e -> assertThat(e.text()).isEmpty());
        }
    }

    /**
     * A chat answer on tiny-llama32's tokenizer, template and generation_config.json (eos [1, 4])
     * ends on {@code <|eot_id|>} with finish reason EOS, and the text leaves it out.
     */
    @Test
    void llama32ChatEndsOnEotId() {
        Path dir = Fixtures.dir("tiny-llama32");
        JsonObject chat = ModelConfigParser.readJson(dir.resolve("golden.json")).getAsJsonObject("chat");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            int eot = tok.tokenToId("<|eot_id|>");
            int[] answer = tok.encode("i am a small model that counts to eight.", false);
            int[] script = java.util.Arrays.copyOf(answer, answer.length + 1);
            script[answer.length] = eot;
            ScriptedLM lm = ScriptedLM.builder().optVocabSize(ModelConfigParser.parse(dir).vocabSize())
                    .optUsableVocabSize(tok.vocabSize()).setScript(script).build();
            Generator g = Generator.builder(lm).optTokenizer(tok).optChatTemplate(ChatTemplates.load(dir, tok)).build();
            GenerationConfig c = GenerationConfig.fromDefaults(GenerationConfigParser.parse(dir)).toBuilder()
                    .optMaxNewTokens(64).build();
            List<TokenEvent> events = new ArrayList<>();
            GenerationResult r = g.generate(Prompt.chat(messages(chat)), c, events::add);
            assertThat(r.finishReason()).isEqualTo(FinishReason.EOS);
            assertThat(r.tokenIds()).hasSize(script.length).last().isEqualTo(eot);
            assertThat(r.text()).isEqualTo("i am a small model that counts to eight.");
            assertThat(r.promptTokenCount()).isEqualTo(chat.getAsJsonArray("ids").size());
            assertThat(events.get(events.size() - 1).finishReason()).isEqualTo(FinishReason.EOS);
        }
    }
}
