package dev.billionllm.core.internal.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ONNX backend under the shared {@link Generator} (sampling, stop conditions and streaming
 * are not backend code): text in, the goldens' greedy text out, one prompt at a time, streamed,
 * and as a left-padded batch.
 */
class OnnxGenerationTest {

    private static final Path FOLDER = Fixtures.dir("tiny-tinyllama-onnx");

    @Test
    void generatorReproducesTheGoldenGreedyTextAndBatch() {
        JsonObject golden = ModelConfigParser.readJson(Fixtures.dir("tiny-tinyllama").resolve("golden.json"));
        try (HfTokenizer tokenizer = HfTokenizer.load(FOLDER);
                CausalLM lm = Backends.get("onnxruntime").load(FOLDER, ModelConfigParser.parse(FOLDER),
                        LoadOptions.builder().optUsableVocabSize(tokenizer.vocabSize()).build());
                Generator generator = Generator.builder(lm).optTokenizer(tokenizer).build()) {
            GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(24).optSkipSpecialTokens(false)
                    .build();
            for (var e : golden.getAsJsonArray("generation")) {
                JsonObject g = e.getAsJsonObject();
                StringBuilder streamed = new StringBuilder();
                GenerationResult r = generator.generate(Prompt.text(g.get("prompt").getAsString()), greedy,
                        event -> streamed.append(event.text()));
                assertThat(r.tokenIdArray()).containsExactly(ints(g.getAsJsonArray("greedy_new_ids")));
                assertThat(r.text()).isEqualTo(g.get("greedy_text").getAsString());
                assertThat(streamed.toString()).isEqualTo(r.text());
            }

            JsonObject batch = golden.getAsJsonObject("batch_generation");
            List<Prompt> prompts = batch.getAsJsonArray("prompts").asList().stream()
                    .map(p -> Prompt.text(p.getAsString())).toList();
            List<GenerationResult> rows = generator.generateBatch(prompts, greedy);
            for (int b = 0; b < rows.size(); b++) {
                assertThat(rows.get(b).tokenIdArray()).as("row %d", b)
                        .containsExactly(ints(batch.getAsJsonArray("new_ids").get(b).getAsJsonArray()));
            }
        }
    }

    private static int[] ints(JsonArray a) {
        return a.asList().stream().mapToInt(x -> x.getAsInt()).toArray();
    }
}
