package dev.billionllm.core.generate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.chat.ChatTemplates;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Generator on the PyTorch backend (found through Backends) against transformers' greedy goldens. */
class FixtureGenerationTest {

    /** A fixture model, its tokenizer and goldens. */
    record Loaded(CausalLM lm, HfTokenizer tokenizer, Generator generator, JsonObject golden) implements AutoCloseable {
        static Loaded open(String name) {
            Path dir = Fixtures.dir(name);
            ModelConfig config = ModelConfigParser.parse(dir);
            HfTokenizer tok = HfTokenizer.load(dir);
            // one torch thread: the test machines' cores are shared
            CausalLM lm = Backends.get("pytorch").load(dir, config,
                    LoadOptions.builder().optDevice("cpu").optThreads(1).optUsableVocabSize(tok.vocabSize()).build());
            Generator g = Generator.builder(lm).optTokenizer(tok).optChatTemplate(ChatTemplates.load(dir, tok)).build();
            return new Loaded(lm, tok, g, ModelConfigParser.readJson(dir.resolve("golden.json")));
        }

        @Override
        public void close() {
            generator.close();
            lm.close();
            tokenizer.close();
        }
    }

    static List<Integer> list(JsonElement e) {
        List<Integer> out = new ArrayList<>();
        for (JsonElement x : e.getAsJsonArray()) {
            out.add(x.getAsInt());
        }
        return out;
    }

    static GenerationConfig greedy(int n) {
        // special tokens kept, as the goldens' greedy_text was decoded
        return GenerationConfig.builder().optMaxNewTokens(n).optSkipSpecialTokens(false).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia", "tiny-tinyllama-draft"})
    void greedyEqualsTransformers(String fixture) {
        try (Loaded m = Loaded.open(fixture)) {
            for (JsonElement e : m.golden.getAsJsonArray("generation")) {
                JsonObject gen = e.getAsJsonObject();
                List<Integer> expected = list(gen.get("greedy_new_ids"));
                List<TokenEvent> events = new ArrayList<>();
                GenerationResult r = m.generator.generate(Prompt.text(gen.get("prompt").getAsString()),
                        greedy(expected.size()), events::add);
                assertThat(r.tokenIds()).as("%s: %s", fixture, gen.get("prompt")).isEqualTo(expected);
                assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
                assertThat(r.text()).isEqualTo(gen.get("greedy_text").getAsString());
                assertThat(String.join("", events.stream().map(TokenEvent::text).toList())).isEqualTo(r.text());
                GenerationResult.Timings t = r.timings();
                System.out.printf("%s %-45s ttft %6.1f ms, prefill %7.0f tok/s, decode %6.0f tok/s%n", fixture,
                        gen.get("prompt"), t.timeToFirstToken().toNanos() / 1e6, t.prefillTokensPerSecond(),
                        t.decodeTokensPerSecond());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void batchEqualsGoldenAndOneByOne(String fixture) {
        try (Loaded m = Loaded.open(fixture)) {
            JsonObject batch = m.golden.getAsJsonObject("batch_generation");
            JsonArray prompts = batch.getAsJsonArray("prompts");
            JsonArray newIds = batch.getAsJsonArray("new_ids");
            List<Prompt> ps = new ArrayList<>();
            for (JsonElement p : prompts) {
                ps.add(Prompt.text(p.getAsString()));
            }
            GenerationConfig c = greedy(newIds.get(0).getAsJsonArray().size());
            List<GenerationResult> rows = m.generator.generateBatch(ps, c);
            for (int i = 0; i < ps.size(); i++) {
                assertThat(rows.get(i).tokenIds()).as("%s row %d", fixture, i).isEqualTo(list(newIds.get(i)));
                GenerationResult alone = m.generator.generate(ps.get(i), c);
                assertThat(rows.get(i).tokenIds()).isEqualTo(alone.tokenIds());
                assertThat(rows.get(i).text()).isEqualTo(alone.text());
            }
        }
    }

    /**
     * The chat prompt through tiny-llama32's own template reaches the model as transformers'
     * apply_chat_template ids. (This tiny model never learned {@code <|eot_id|>}: its probability
     * stays near 1e-6 through the answer, so the EOS ending is tested with a scripted model in
     * {@link FixtureTokenizerGenerationTest#llama32ChatEndsOnEotId()}.)
     */
    @Test
    void llama32ChatRendersWithItsTemplate() {
        try (Loaded m = Loaded.open("tiny-llama32")) {
            JsonObject chat = m.golden.getAsJsonObject("chat");
            int[] goldenIds = FixtureTokenizerGenerationTest.ints(chat.get("ids"));
            Prompt prompt = Prompt.chat(FixtureTokenizerGenerationTest.messages(chat));
            assertThat(m.generator.encode(prompt)).containsExactly(goldenIds);
            GenerationConfig c = GenerationConfig.builder().optMaxNewTokens(16).build();
            GenerationResult viaTemplate = m.generator.generate(prompt, c);
            assertThat(viaTemplate.promptTokenCount()).isEqualTo(goldenIds.length);
            assertThat(viaTemplate.tokenIds()).isEqualTo(m.generator.generate(Prompt.ids(goldenIds), c).tokenIds());
            assertThat(viaTemplate.text()).isNotBlank();
        }
    }

    /** One PtCausalLM shared by four threads: each generation equals the same one run alone. */
    @Test
    void concurrentGenerationsOnOneModelEqualSequentialOnes() throws Exception {
        try (Loaded m = Loaded.open("tiny-tinyllama")) {
            List<java.util.concurrent.Callable<GenerationResult>> jobs = new ArrayList<>();
            String[] prompts = {"the cat sat on", "counting: one two three", "one plus two is",
                "question: what colour is the sky? answer:"};
            for (int i = 0; i < 8; i++) {
                String p = prompts[i % prompts.length];
                GenerationConfig c = i < 4 ? greedy(12)
                        : greedy(12).toBuilder().optTemperature(0.9).optTopK(40).optSeed(i).build();
                jobs.add(() -> m.generator.generate(p, c));
            }
            List<GenerationResult> sequential = new ArrayList<>();
            for (var job : jobs) {
                sequential.add(job.call());
            }
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                var futures = pool.invokeAll(jobs);
                for (int i = 0; i < jobs.size(); i++) {
                    assertThat(futures.get(i).get().tokenIds()).as("job %d", i).isEqualTo(sequential.get(i).tokenIds());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
