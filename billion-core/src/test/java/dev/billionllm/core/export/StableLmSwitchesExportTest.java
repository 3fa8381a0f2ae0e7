package dev.billionllm.core.export;

import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Greedy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * StableLM's {@code qk_layernorm} and shared-norm {@code use_parallel_residual}, which have no
 * transformers golden: small random checkpoints (GQA, partial rotary 0.25) for every combination
 * are exported and run through the ONNX Runtime backend against the PyTorch backend on the same
 * folder, and both against {@link ReferenceDecoder}, a plain-Java forward pass written from
 * transformers' modeling_stablelm.py, so that the two backends cannot agree on a shared mistake.
 */
class StableLmSwitchesExportTest {

    private static final double TOLERANCE = 1e-4;
    private static final int NEW_TOKENS = 16;
    private static final int[] PROMPT = {17, 300, 5, 42, 511, 99, 128, 7, 256};
    private static final int[] SHORT_PROMPT = {3, 77, 401, 12, 200, 64};

    @TempDir
    static Path dir;

    private static final List<AutoCloseable> OPEN = new ArrayList<>();

    /** One combination of the two switches, with both backends loaded on its checkpoint. */
    record Variant(boolean qkNorm, boolean parallel) {
        @Override
        public String toString() {
            return "qk_layernorm=" + qkNorm + ", use_parallel_residual=" + parallel;
        }

        TinyDecoder checkpoint() {
            return TinyDecoder.stableLm(qkNorm, parallel, 1 + (qkNorm ? 2 : 0) + (parallel ? 1 : 0));
        }
    }

    static Stream<Variant> variants() {
        return Stream.of(new Variant(false, false), new Variant(true, false), new Variant(false, true),
                new Variant(true, true));
    }

    @AfterAll
    static void close() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
        OPEN.clear();
    }

    /** Writes the checkpoint (once per name) and exports it with {@code options}. */
    private static Path export(TinyDecoder model, String name, ExportOptions options) throws IOException {
        Path src = dir.resolve(name + "-src");
        if (!src.toFile().isDirectory()) {
            model.write(src);
        }
        Path dst = dir.resolve(name + "-" + options.precision() + "-" + options.fusedRotary());
        OnnxExporter.export(src, dst, options);
        return dst;
    }

    private static CausalLM load(String backend, Path folder) {
        // One intra-op thread: tiny models gain nothing from more, and build machines share cores.
        CausalLM lm = Backends.get(backend).load(folder, ModelConfigParser.parse(folder),
                LoadOptions.builder().optThreads(1).build());
        OPEN.add(lm);
        return lm;
    }

    @ParameterizedTest
    @MethodSource("variants")
    void fp32ExportMatchesPyTorchAndTheReference(Variant v) throws IOException {
        TinyDecoder model = v.checkpoint();
        String name = "v" + v.qkNorm() + v.parallel();
        Path onnxDir = export(model, name, ExportOptions.builder().setPrecision(Precision.FP32).build());
        CausalLM onnx = load("onnxruntime", onnxDir);
        CausalLM torch = load("pytorch", dir.resolve(name + "-src"));
        float[] reference = new ReferenceDecoder(model).logits(PROMPT);
        int vocab = model.vocab;

        // Prefill: every position.
        float[] onnxAll = prefill(onnx, PROMPT);
        float[] torchAll = prefill(torch, PROMPT);
        double onnxVsRef = maxAbs(onnxAll, 0, reference, 0, reference.length);
        double torchVsRef = maxAbs(torchAll, 0, reference, 0, reference.length);
        double onnxVsTorch = maxAbs(onnxAll, 0, torchAll, 0, reference.length);
        System.out.printf("[stablelm-export] %s: prefill max abs logit error onnx-ref %.3g, pytorch-ref %.3g, "
                + "onnx-pytorch %.3g (largest |logit| %.3g)%n", v, onnxVsRef, torchVsRef, onnxVsTorch,
                largest(reference));
        assertThat(onnxVsRef).as("onnx vs reference").isLessThanOrEqualTo(TOLERANCE);
        assertThat(torchVsRef).as("pytorch vs reference").isLessThanOrEqualTo(TOLERANCE);
        assertThat(onnxVsTorch).as("onnx vs pytorch").isLessThanOrEqualTo(TOLERANCE);

        assertCachedStepsMatch(List.of(onnx, torch), PROMPT, reference, vocab);

        // Left-padded batch: the padded row must match the reference of its unpadded prompt.
        int pad = PROMPT.length - SHORT_PROMPT.length;
        int[][] ids = {PROMPT, new int[PROMPT.length]};
        int[][] mask = {ones(PROMPT.length), ones(PROMPT.length)};
        System.arraycopy(SHORT_PROMPT, 0, ids[1], pad, SHORT_PROMPT.length);
        Arrays.fill(mask[1], 0, pad, 0);
        float[] shortReference = new ReferenceDecoder(model).logits(SHORT_PROMPT);
        for (CausalLM lm : List.of(onnx, torch)) {
            try (KvCache cache = lm.newCache(2, PROMPT.length)) {
                Logits logits = lm.forward(TokenBatch.of(ids, mask), cache, LogitsMode.ALL);
                double worst = 0;
                for (int t = 0; t < PROMPT.length; t++) {
                    worst = Math.max(worst, maxAbs(logits.values(), logits.offset(0, t), reference, t * vocab, vocab));
                }
                for (int t = pad; t < PROMPT.length; t++) {
                    worst = Math.max(worst, maxAbs(logits.values(), logits.offset(1, t), shortReference,
                            (t - pad) * vocab, vocab));
                }
                assertThat(worst).as("%s left-padded batch", lm).isLessThanOrEqualTo(TOLERANCE);
            }
        }

        int[][] onnxTokens = Greedy.decode(onnx, ids, mask, NEW_TOKENS);
        int[][] torchTokens = Greedy.decode(torch, ids, mask, NEW_TOKENS);
        assertThat(onnxTokens[0]).containsExactly(torchTokens[0]);
        assertThat(onnxTokens[1]).containsExactly(torchTokens[1]);
        // The first new token is the reference's argmax (the rest follow from the cache checks).
        assertThat(onnxTokens[0][0]).isEqualTo(Greedy.argmax(reference, (PROMPT.length - 1) * vocab, vocab));
    }

    /** The defaults use the fused rotary and attention operators; each standard-operator path must agree too. */
    @Test
    void standardOperatorGraphsGiveTheSameLogits() throws IOException {
        TinyDecoder model = new Variant(true, true).checkpoint();
        float[] reference = new ReferenceDecoder(model).logits(PROMPT);
        Map<String, ExportOptions> graphs = Map.of(
                "rotary", ExportOptions.builder().setPrecision(Precision.FP32).optFusedRotary(false).build(),
                "attention", ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(false).build(),
                "standard", ExportOptions.builder().setPrecision(Precision.FP32).optFusedRotary(false).optFusedAttention(false).build());
        for (Map.Entry<String, ExportOptions> e : graphs.entrySet()) {
            CausalLM onnx = load("onnxruntime", export(model, e.getKey(), e.getValue()));
            assertThat(maxAbs(prefill(onnx, PROMPT), 0, reference, 0, reference.length)).as(e.getKey())
                    .isLessThanOrEqualTo(TOLERANCE);
        }
    }

    /** ONNX Runtime's GroupQueryAttention needs head_dim % 8 == 0; other heads get the standard graph. */
    @Test
    void headSizeGroupQueryAttentionCannotTakeFallsBackToStandardAttention() throws IOException {
        TinyDecoder model = TinyDecoder.stableLm(true, false, 11, 12, 0.5);
        Path dst = export(model, "head12", ExportOptions.builder().setPrecision(Precision.FP32).build());
        JsonObject metadata = ModelConfigParser.readJson(dst.resolve(OnnxExporter.METADATA_FILE));
        assertThat(metadata.get("fused_attention").getAsBoolean()).isFalse();
        float[] reference = new ReferenceDecoder(model).logits(PROMPT);
        CausalLM onnx = load("onnxruntime", dst);
        assertThat(maxAbs(prefill(onnx, PROMPT), 0, reference, 0, reference.length)).isLessThanOrEqualTo(TOLERANCE);
        assertThat(Greedy.decode(onnx, new int[][] {PROMPT}, new int[][] {ones(PROMPT.length)}, NEW_TOKENS)[0])
                .containsExactly(Greedy.decode(load("pytorch", dir.resolve("head12-src")), new int[][] {PROMPT},
                        new int[][] {ones(PROMPT.length)}, NEW_TOKENS)[0]);
    }

    /**
     * Per-head norm weights are bound to their heads: swapping two query heads' q-norm scales
     * changes the logits, and swapping those heads' q_proj rows and o_proj columns along with them
     * (heads 0 and 1 share kv head 0, so this is a relabelling) gives the original logits back.
     */
    @Test
    void qkNormScalesFollowTheirHeads() throws IOException {
        TinyDecoder model = new Variant(true, true).checkpoint();
        float[] original = prefill(load("onnxruntime", export(model, "heads", ExportOptions.builder().setPrecision(Precision.FP32).build())), PROMPT);

        TinyDecoder normsSwapped = model.copy();
        normsSwapped.swapQueryHeadNorms(0, 0, 1);
        float[] changed = prefill(load("onnxruntime", export(normsSwapped, "heads-norms", ExportOptions.builder().setPrecision(Precision.FP32).build())),
                PROMPT);
        assertThat(maxAbs(changed, 0, original, 0, original.length)).isGreaterThan(1e-2);

        TinyDecoder relabelled = normsSwapped.copy();
        relabelled.swapQueryHeadProjections(0, 0, 1);
        float[] same = prefill(load("onnxruntime", export(relabelled, "heads-all", ExportOptions.builder().setPrecision(Precision.FP32).build())), PROMPT);
        assertThat(maxAbs(same, 0, original, 0, original.length)).isLessThanOrEqualTo(TOLERANCE);
    }

    @Test
    void quantizedExportsStayCloseToFp32() throws IOException {
        TinyDecoder model = new Variant(true, true).checkpoint();
        float[] fp32 = prefill(load("onnxruntime", export(model, "quant", ExportOptions.builder().setPrecision(Precision.FP32).build())), PROMPT);
        double range = largest(fp32);
        for (Precision p : List.of(Precision.INT8, Precision.INT4)) {
            CausalLM lm = load("onnxruntime", export(model, "quant", ExportOptions.builder().setPrecision(p).build()));
            float[] logits = prefill(lm, PROMPT);
            double error = maxAbs(logits, 0, fp32, 0, fp32.length);
            double mean = 0;
            for (int i = 0; i < fp32.length; i++) {
                mean += Math.abs(logits[i] - fp32[i]) / fp32.length;
            }
            System.out.printf("[stablelm-export] qk_layernorm + parallel residual %s: prefill logit error vs fp32 "
                    + "max %.3g, mean %.3g (largest fp32 |logit| %.3g)%n", p, error, mean, range);
            // Quantisation noise, not a broken graph (which gives errors on the order of the logits).
            assertThat(error).as("%s", p).isLessThan(range * (p == Precision.INT8 ? 0.05 : 0.3));
        }
    }

    /** Cached single-token steps after a 4-token prefill reproduce the uncached reference rows. */
    static void assertCachedStepsMatch(List<CausalLM> models, int[] prompt, float[] reference, int vocab) {
        for (CausalLM lm : models) {
            try (KvCache cache = lm.newCache(1, prompt.length)) {
                lm.forward(TokenBatch.of(Arrays.copyOf(prompt, 4)), cache, LogitsMode.LAST);
                for (int t = 4; t < prompt.length; t++) {
                    Logits step = lm.forward(TokenBatch.of(prompt[t]), cache, LogitsMode.LAST);
                    assertThat(maxAbs(step.values(), step.offset(0, 0), reference, t * vocab, vocab))
                            .as("%s cached step at position %d", lm, t).isLessThanOrEqualTo(TOLERANCE);
                }
            }
        }
    }

    static float[] prefill(CausalLM lm, int[] ids) {
        try (KvCache cache = lm.newCache(1, ids.length)) {
            return lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL).values();
        }
    }


    private static double largest(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    static int[] ones(int n) {
        int[] m = new int[n];
        Arrays.fill(m, 1);
        return m;
    }
}
