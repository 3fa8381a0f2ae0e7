package dev.billionllm.speculative;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Speculative decoding on ONNX Runtime: the target as our fp32 export (fused GroupQueryAttention,
 * the default, and standard attention), which must verify several tokens after a cache at batch
 * size 1 and roll rejected ones back; and int8/int4 exports of the target as drafts of the PyTorch
 * target. Every greedy output equals transformers' greedy output.
 */
class OnnxSpeculativeTest {
    @TempDir
    static Path exports;

    static Model pytorchTarget;
    static Model draft;

    @BeforeAll
    static void export() {
        Path src = Fixtures.dir("small-llama-pair/small-llama-target");
        OnnxExporter.export(src, exports.resolve("fused"), ExportOptions.builder().setPrecision(Precision.FP32).build());
        OnnxExporter.export(src, exports.resolve("standard"), ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(false).build());
        OnnxExporter.export(src, exports.resolve("int8"), ExportOptions.builder().setPrecision(Precision.INT8).build());
        OnnxExporter.export(src, exports.resolve("int4"),
                ExportOptions.builder().setPrecision(Precision.INT4).optBlockSize(32).build());
        LoadOptions options = LoadOptions.builder().optDevice("cpu").optThreads(1).build();
        pytorchTarget = Model.load(src, options.toBuilder().optBackend("pytorch").build());
        draft = Model.load(Fixtures.dir("small-llama-pair/small-llama-draft"), options.toBuilder().optBackend("pytorch").build());
    }

    @AfterAll
    static void close() {
        if (pytorchTarget != null) {
            pytorchTarget.close();
        }
        if (draft != null) {
            draft.close();
        }
    }

    private static Model onnx(String name) {
        return Model.load(exports.resolve(name), LoadOptions.builder().optBackend("onnxruntime").optThreads(1).build());
    }

    private static void assertGreedy(Generator g, String what) {
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(SmallLlamaPairTest.NEW_TOKENS)
                .optTemperature(0).build();
        for (int[][] c : SmallLlamaPairTest.cases()) {
            GenerationResult r = g.generate(Prompt.ids(c[0]), config);
            assertThat(r.tokenIdArray()).as(what + " on " + Arrays.toString(c[0])).containsExactly(c[1]);
            assertThat(r.metrics().draftedTokens()).as(what + " drafted").isPositive();
        }
    }

    @Test
    void onnxTargetsVerifySeveralTokensAfterTheCacheAndRollBack() {
        for (String graph : List.of("fused", "standard")) {
            try (Model target = onnx(graph)) {
                Generator spec = target.generator().toBuilder().optDecodingStrategy(SpeculativeDecoding
                        .withDraftModel(draft.lm()).optDraftTokenizer(draft.tokenizer()).optDraftTokens(4).build()).build();
                assertGreedy(spec, graph + " ONNX target, PyTorch draft");
                Generator lookup = target.generator().toBuilder()
                        .optDecodingStrategy(SpeculativeDecoding.withPromptLookup().build()).build();
                assertGreedy(lookup, graph + " ONNX target, prompt lookup");
            }
        }
    }

    /**
     * The fused graph's logits for four tokens fed after a cached prompt (and after a rollback)
     * equal the standard-attention graph's: GroupQueryAttention's seqlens_k covers several new
     * tokens at batch size 1.
     */
    @Test
    void fusedGraphScoresSeveralTokensAfterACacheLikeTheStandardGraph() {
        int[] prompt = SmallLlamaPairTest.cases().get(1)[0];
        int[] next = Arrays.copyOf(SmallLlamaPairTest.cases().get(1)[1], 4);
        try (Model fused = onnx("fused"); Model standard = onnx("standard")) {
            float[][] out = new float[2][];
            int i = 0;
            for (Model m : List.of(fused, standard)) {
                try (KvCache cache = m.lm().newCache(1, 64)) {
                    m.lm().forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
                    m.lm().forward(TokenBatch.of(new int[] {7, 8, 9}), cache, LogitsMode.ALL);
                    cache.truncate(prompt.length); // a rejected draft
                    out[i++] = m.lm().forward(TokenBatch.of(next), cache, LogitsMode.ALL).values();
                }
            }
            float max = 0;
            for (int j = 0; j < out[0].length; j++) {
                max = Math.max(max, Math.abs(out[0][j] - out[1][j]));
            }
            assertThat(max).as("max |fused - standard| logit").isLessThanOrEqualTo(1e-4f);
        }
    }

    @Test
    void quantizedExportsOfTheTargetAreDrafts() {
        for (String variant : List.of("int8", "int4")) {
            try (Model quantized = onnx(variant)) {
                SpeculativeDecoding strategy = SpeculativeDecoding.withDraftModel(quantized.lm())
                        .optDraftTokenizer(quantized.tokenizer()).optAdaptive(true).build();
                assertGreedy(pytorchTarget.generator().toBuilder().optDecodingStrategy(strategy).build(),
                        variant + " draft of the PyTorch target");
            }
        }
    }
}
