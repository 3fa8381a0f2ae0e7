package dev.billionllm.core.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.platform.CpuFeatures;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.testing.Greedy;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The int8 export of tiny-tinyllama keeps the greedy tokens of the fp32 model on prompts it was
 * not checked on before, on whatever CPU runs the suite (issue: full-range int8 left the fp32
 * output within 3 tokens on AVX2-only CPUs). The fp32 reference is our PyTorch backend, which
 * matches transformers to 1e-5 on every golden (PtCausalLMTest).
 */
class Int8PortabilityTest {

    private static final String[] PROMPTS = {"the dog ran to the", "letters: a b c d", "two plus three is",
        "counting: five six seven"};
    private static final int NEW_TOKENS = 16;

    @TempDir
    Path tmp;

    @Test
    void int8KeepsTheFp32GreedyTokensOnNewPrompts() {
        Path src = Fixtures.dir("tiny-tinyllama");
        int[][] prompts = new int[PROMPTS.length][];
        try (HfTokenizer tokenizer = HfTokenizer.load(src)) {
            for (int p = 0; p < PROMPTS.length; p++) {
                prompts[p] = tokenizer.encode(PROMPTS[p], true);
            }
        }
        int[][] reference = new int[PROMPTS.length][];
        try (CausalLM fp32 = Backends.get("pytorch").load(src, ModelConfigParser.parse(src),
                LoadOptions.builder().optDevice("cpu").optThreads(1).build())) {
            for (int p = 0; p < PROMPTS.length; p++) {
                reference[p] = greedy(fp32, prompts[p]);
            }
        }
        Path dst = tmp.resolve("int8");
        OnnxExporter.export(src, dst, ExportOptions.builder().setPrecision(Precision.INT8).build());
        int kept = 0;
        try (CausalLM int8 = Backends.get("onnxruntime").load(dst, ModelConfigParser.parse(dst), LoadOptions.defaults())) {
            for (int p = 0; p < PROMPTS.length; p++) {
                int[] out = greedy(int8, prompts[p]);
                int same = 0;
                while (same < NEW_TOKENS && out[same] == reference[p][same]) {
                    same++;
                }
                kept += same == NEW_TOKENS ? 1 : 0;
                System.out.printf("[int8] \"%s\": %d of %d greedy tokens equal to fp32 (%s)%n", PROMPTS[p], same,
                        NEW_TOKENS, same == NEW_TOKENS ? "all" : Arrays.toString(out));
            }
        }
        assertThat(kept).as("prompts whose 16 greedy tokens equal fp32's on %s", CpuFeatures.current().summary())
                .isGreaterThanOrEqualTo(3);
    }

    private static int[] greedy(CausalLM lm, int[] prompt) {
        int[] mask = new int[prompt.length];
        Arrays.fill(mask, 1);
        return Greedy.decode(lm, new int[][] {prompt}, new int[][] {mask}, NEW_TOKENS)[0];
    }
}
