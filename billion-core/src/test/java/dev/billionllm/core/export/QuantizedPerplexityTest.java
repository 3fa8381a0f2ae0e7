package dev.billionllm.core.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Perplexity of small-llama-pair's target (6 layers, bf16 weights) exported at each precision:
 * fp32 must reproduce the golden loss; int8 and int4 are reported and bounded loosely.
 */
class QuantizedPerplexityTest {

    /** Our own text in the style of the fixtures' training corpus (counting, sums, short sentences). */
    private static final String TEXT = "the cat sat on the road. one plus two is three. "
            + "question: what colour is the sky? answer: blue. the dog ran to the river. two plus three is five. "
            + "the cat is happy. the dog ran to the garden. counting: one two three four five. "
            + "three plus four is seven. the bird sat on the tree. question: what colour is the grass? "
            + "answer: green. the cat ran to the road. one plus one is two.";

    @TempDir
    Path tmp;

    @Test
    void fp32ReproducesTheGoldenLossAndQuantizedPerplexityStaysClose() {
        Path src = Fixtures.dir("small-llama-pair/small-llama-target");
        JsonObject loss = ModelConfigParser.readJson(src.resolve("golden.json")).getAsJsonObject("loss");
        int[] lossIds = ints(loss.getAsJsonArray("input_ids"));
        int[] text = HfTokenizer.load(src).encode(TEXT, true);
        Map<String, Double> perplexity = new LinkedHashMap<>();
        List<ExportOptions> variants = List.of(ExportOptions.defaults(),
                ExportOptions.defaults().withPrecision(Precision.INT8),
                ExportOptions.defaults().withPrecision(Precision.INT4).withBlockSize(32),
                ExportOptions.defaults().withPrecision(Precision.INT4).withBlockSize(64),
                ExportOptions.defaults().withPrecision(Precision.INT4).withBlockSize(128),
                ExportOptions.defaults().withPrecision(Precision.INT4).withBlockSize(32)
                        .withLmHeadPrecision(Precision.INT8));
        for (ExportOptions options : variants) {
            Precision p = options.precision();
            String name = p + (p == Precision.INT4 ? " block " + options.blockSize() : "")
                    + (options.lmHeadPrecision() != null ? " lm_head " + options.lmHeadPrecision() : "");
            Path dst = tmp.resolve(name.replace(' ', '_'));
            OnnxExporter.export(src, dst, options);
            try (CausalLM lm = Backends.get("onnxruntime").load(dst, ModelConfigParser.parse(dst),
                    LoadOptions.defaults())) {
                double goldenNll = meanNll(lm, lossIds);
                double nll = meanNll(lm, text);
                perplexity.put(name, Math.exp(nll));
                System.out.printf("[export] small-llama-target %s: golden-text mean NLL %.5f (reference %.5f), "
                        + "perplexity on our %d-token text %.4f%n", name, goldenNll, loss.get("mean_nll").getAsDouble(),
                        text.length, Math.exp(nll));
                if (p == Precision.FP32) {
                    assertThat(goldenNll).isCloseTo(loss.get("mean_nll").getAsDouble(),
                            org.assertj.core.data.Offset.offset(1e-4));
                }
            }
        }
        double fp32 = perplexity.get("FP32");
        assertThat(perplexity.get("INT8")).isLessThan(fp32 * 1.25);
        assertThat(perplexity.get("INT4 block 32")).isLessThan(fp32 * 2);
        assertThat(perplexity.get("INT4 block 64")).isLessThan(fp32 * 2);
        assertThat(perplexity.get("INT4 block 128")).isLessThan(fp32 * 2);
    }

    /** Mean negative log-likelihood of ids[1..] given the prefix, one forward pass. */
    private static double meanNll(CausalLM lm, int[] ids) {
        int vocab = lm.config().vocabSize();
        try (KvCache cache = lm.newCache(1, ids.length)) {
            Logits logits = lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL);
            float[] v = logits.values();
            double total = 0;
            for (int t = 0; t + 1 < ids.length; t++) {
                int off = logits.offset(0, t);
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) {
                    max = Math.max(max, v[off + i]);
                }
                double sum = 0;
                for (int i = 0; i < vocab; i++) {
                    sum += Math.exp(v[off + i] - max);
                }
                total += max + Math.log(sum) - v[off + ids[t + 1]];
            }
            return total / (ids.length - 1);
        }
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }
}
