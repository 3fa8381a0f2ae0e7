package dev.billionllm.core.export;

import static dev.billionllm.core.export.OnnxExporterTest.ones;
import static dev.billionllm.core.export.OnnxExporterTest.prefillError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.export.OnnxExporterTest.Goldens;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.testing.Greedy;
import dev.billionllm.core.testing.LogitDiff;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contrib-operator choices of the exporter, {@code GroupQueryAttention} and
 * {@code SkipSimplifiedLayerNormalization} (both default), and the standard-operator graphs they
 * replace, against the goldens; the batches fused attention refuses; and which fusions ONNX Runtime
 * does by itself.
 */
class OnnxFusedOpsTest {

    private static final int NEW_TOKENS = 24;

    @TempDir
    static Path exports;

    private static final Map<String, CausalLM> MODELS = new HashMap<>();

    static Stream<String> fixtures() {
        return Stream.of("tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia");
    }

    static Stream<String> rmsNormFixtures() {
        return Stream.of("tiny-tinyllama", "tiny-llama32");
    }

    private static synchronized CausalLM model(String fixture, ExportOptions options) {
        return MODELS.computeIfAbsent(fixture + "-" + options, k -> {
            Path dst = export(fixture, options);
            return Backends.get("onnxruntime").load(dst, ModelConfigParser.parse(dst), LoadOptions.defaults());
        });
    }

    private static Path export(String fixture, ExportOptions options) {
        Path dst = exports.resolve(fixture + "-" + Integer.toHexString(options.hashCode()));
        if (!Files.exists(dst.resolve(OnnxExporter.MODEL_FILE))) {
            OnnxExporter.export(Fixtures.dir(fixture), dst, options);
        }
        return dst;
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(CausalLM::close);
        MODELS.clear();
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fusedAttentionMatchesGoldens(String fixture) throws IOException {
        checkPrefillAndGreedy(fixture, ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(true).build(), "fused attention");
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void standardAttentionMatchesGoldens(String fixture) throws IOException {
        ExportOptions standard = ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(false).build();
        checkPrefillAndGreedy(fixture, standard, "standard attention");
        checkLeftPaddedBatch(fixture, standard);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void allStandardOperatorsMatchGoldens(String fixture) throws IOException {
        checkPrefillAndGreedy(fixture, ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(false).optFusedRotary(false)
                .optSkipNorm(false).build(), "standard attention, rotary and norms");
    }

    @ParameterizedTest
    @MethodSource("rmsNormFixtures")
    void addThenRmsNormWithoutSkipNormMatchesGoldens(String fixture) throws IOException {
        checkPrefillAndGreedy(fixture, ExportOptions.builder().setPrecision(Precision.FP32).optSkipNorm(false).build(), "Add + RMSNorm");
    }

    /** Rows without padding batch fine; the prompt prefilled in two chunks continues the same (GQA's "subsequent prompt"). */
    @Test
    void fusedAttentionRunsUnpaddedBatchesAndChunkedPrefill() throws IOException {
        CausalLM lm = model("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(true).build());
        Goldens g = new Goldens("tiny-tinyllama");
        int[] prompt = g.ints("prompt0.input_ids");
        float[] expected = g.floats("prompt0.logits");
        int vocab = lm.config().vocabSize();
        int seq = prompt.length;
        try (KvCache cache = lm.newCache(2, seq)) {
            Logits logits = lm.forward(TokenBatch.of(new int[][] {prompt, prompt}, new int[][] {ones(seq), ones(seq)}),
                    cache, LogitsMode.ALL);
            for (int b = 0; b < 2; b++) {
                assertThat(LogitDiff.maxAbs(logits.values(), logits.offset(b, 0), expected, 0, seq * vocab))
                        .as("row %d", b).isLessThanOrEqualTo(1e-4);
            }
        }
        int split = seq / 2;
        try (KvCache cache = lm.newCache(1, seq)) {
            lm.forward(TokenBatch.of(Arrays.copyOf(prompt, split)), cache, LogitsMode.LAST);
            Logits rest = lm.forward(TokenBatch.of(Arrays.copyOfRange(prompt, split, seq)), cache, LogitsMode.ALL);
            assertThat(LogitDiff.maxAbs(rest.values(), 0, expected, split * vocab, (seq - split) * vocab))
                    .isLessThanOrEqualTo(1e-4);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fusedAttentionLeftPaddedBatchMatchesGoldens(String fixture) throws IOException {
        checkLeftPaddedBatch(fixture, ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(true).build());
    }

    private static void checkLeftPaddedBatch(String fixture, ExportOptions options) throws IOException {
        CausalLM lm = model(fixture, options);
        Goldens g = new Goldens(fixture);
        int[][] mask = g.rows("batch.attention_mask");
        assertThat(Arrays.stream(mask).flatMapToInt(Arrays::stream).anyMatch(m -> m == 0)).isTrue();
        OnnxExporterTest.checkLeftPaddedBatch(lm, fixture);
    }

    /**
     * The packed cache the fused graph keeps must follow the standard graph through what the
     * generator and speculative decoding do: left-padded prefill, a row fed as padding (a finished
     * row), leading and trailing padding in a later chunk (one row: ONNX Runtime's limit), and
     * truncation.
     */
    @ParameterizedTest
    @MethodSource("fixtures")
    void fusedAttentionFollowsTheStandardGraphThroughPaddedStepsAndTruncation(String fixture) {
        CausalLM fused = model(fixture, ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(true).build());
        CausalLM plain = model(fixture, ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(false).build());
        // {ids, mask} per step; a null step truncates both caches by one.
        compare(fused, plain, new int[][][][] {
            {{{5, 6, 7, 8}, {0, 0, 9, 10}}, {{1, 1, 1, 1}, {0, 0, 1, 1}}},
            {{{11}, {12}}, {{1}, {1}}},
            {{{13}, {0}}, {{1}, {0}}},
            {{{14}, {15}}, {{1}, {1}}},
            null,
            {{{16}, {17}}, {{1}, {1}}},
        });
        compare(fused, plain, new int[][][][] {
            {{{5, 6, 7}}, {{1, 1, 1}}},
            {{{0, 8, 9}}, {{0, 1, 1}}},
            {{{10, 0}}, {{1, 0}}},
            {{{11}}, {{1}}},
            null,
            {{{12, 13}}, {{1, 1}}},
        });
    }

    private static void compare(CausalLM fused, CausalLM plain, int[][][][] steps) {
        int rows = steps[0][0].length;
        int vocab = fused.config().vocabSize();
        try (KvCache a = fused.newCache(rows, 16); KvCache b = plain.newCache(rows, 16)) {
            for (int s = 0; s < steps.length; s++) {
                if (steps[s] == null) {
                    a.truncate(a.length() - 1);
                    b.truncate(b.length() - 1);
                    continue;
                }
                int[][] mask = steps[s][1];
                TokenBatch batch = TokenBatch.of(steps[s][0], mask);
                Logits x = fused.forward(batch, a, LogitsMode.ALL);
                Logits y = plain.forward(batch, b, LogitsMode.ALL);
                for (int row = 0; row < rows; row++) {
                    for (int t = 0; t < mask[row].length; t++) {
                        if (mask[row][t] == 1) {
                            assertThat(LogitDiff.maxAbs(x.values(), x.offset(row, t), y.values(), y.offset(row, t),
                                    vocab)).as("step %d row %d token %d", s, row, t).isLessThanOrEqualTo(1e-4);
                        }
                    }
                }
            }
        }
    }

    /** The shared generator's left-padded batch (rows padded, then decoded together) on the default export. */
    @Test
    void generatorBatchOnTheDefaultExportMatchesGoldens() {
        Path dst = export("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).build());
        JsonObject golden = ModelConfigParser.readJson(Fixtures.dir("tiny-tinyllama").resolve("golden.json"));
        try (HfTokenizer tokenizer = HfTokenizer.load(dst);
                CausalLM lm = Backends.get("onnxruntime").load(dst, ModelConfigParser.parse(dst),
                        LoadOptions.builder().optUsableVocabSize(tokenizer.vocabSize()).build());
                Generator generator = Generator.builder(lm).optTokenizer(tokenizer).build()) {
            GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(NEW_TOKENS)
                    .optSkipSpecialTokens(false).build();
            JsonObject batch = golden.getAsJsonObject("batch_generation");
            List<Prompt> prompts = batch.getAsJsonArray("prompts").asList().stream()
                    .map(p -> Prompt.text(p.getAsString())).toList();
            List<GenerationResult> rows = generator.generateBatch(prompts, greedy);
            for (int b = 0; b < rows.size(); b++) {
                assertThat(rows.get(b).tokenIdArray()).as("row %d", b)
                        .containsExactly(Goldens.ints(batch.getAsJsonArray("new_ids").get(b).getAsJsonArray()));
            }
        }
    }

    @Test
    void fusedAttentionRefusesBatchedChunksAfterCachedTokens() {
        CausalLM lm = model("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(true).build());
        try (KvCache cache = lm.newCache(2, 8)) {
            lm.forward(TokenBatch.of(new int[][] {{5, 6}, {7, 8}}), cache, LogitsMode.LAST);
            assertThatThrownBy(() -> lm.forward(TokenBatch.of(new int[][] {{9, 10}, {11, 12}}), cache, LogitsMode.LAST))
                    .isInstanceOf(UnsupportedModelException.class)
                    .hasMessageContaining("2 rows of 2 tokens after 2 cached")
                    .hasMessageContaining("optFusedAttention(false)");
            assertThat(cache.length()).isEqualTo(2);
        }
    }

    @Test
    void fusedAttentionRefusesPaddingBetweenNewTokens() {
        CausalLM lm = model("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(true).build());
        try (KvCache cache = lm.newCache(1, 8)) {
            assertThatThrownBy(() -> lm.forward(TokenBatch.of(new int[][] {{5, 0, 7}}, new int[][] {{1, 0, 1}}), cache,
                    LogitsMode.LAST))
                    .isInstanceOf(UnsupportedModelException.class)
                    .hasMessageContaining("fused_attention = true")
                    .hasMessageContaining("between new tokens")
                    .hasMessageContaining("optFusedAttention(false)");
            assertThat(cache.length()).isZero();
        }
    }

    @Test
    void metadataRecordsTheOperatorChoices() {
        Path dst = export("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).build());
        JsonObject meta = ModelConfigParser.readJson(dst.resolve(OnnxExporter.METADATA_FILE));
        assertThat(meta.get("fused_attention").getAsBoolean()).isTrue();
        assertThat(meta.get("skip_norm").getAsBoolean()).isTrue();
        Path plain = export("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).optFusedAttention(false).build());
        JsonObject plainMeta = ModelConfigParser.readJson(plain.resolve(OnnxExporter.METADATA_FILE));
        assertThat(plainMeta.get("fused_attention").getAsBoolean()).isFalse();
    }

    /**
     * ONNX Runtime (ALL_OPT) fuses our Pow/ReduceMean/Sqrt/Div RMSNorm into
     * SimplifiedLayerNormalization but does not fold the residual Add into it, which is why the
     * exporter writes SkipSimplifiedLayerNormalization itself; with it, no other norm is left but
     * the first layer's input norm (which has no residual add before it).
     */
    @Test
    void onnxRuntimeDoesNotFuseTheResidualAddItself() throws IOException, OrtException {
        int layers = ModelConfigParser.parse(Fixtures.dir("tiny-tinyllama")).numHiddenLayers();
        Map<String, Integer> plain = optimizedOpTypes(export("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).optSkipNorm(false).build()));
        assertThat(plain.get("SimplifiedLayerNormalization")).isEqualTo(2 * layers + 1);
        assertThat(plain).doesNotContainKey("SkipSimplifiedLayerNormalization");
        assertThat(plain).doesNotContainKey("ReduceMean");

        Map<String, Integer> fused = optimizedOpTypes(export("tiny-tinyllama", ExportOptions.builder().setPrecision(Precision.FP32).build()));
        assertThat(fused.get("SkipSimplifiedLayerNormalization")).isEqualTo(2 * layers);
        assertThat(fused.get("SimplifiedLayerNormalization")).isEqualTo(1);
        // The residual adds are gone with them (the remaining Adds are q/k/v biases and masks, if any).
        assertThat(fused.getOrDefault("Add", 0)).isEqualTo(plain.getOrDefault("Add", 0) - 2 * layers);
    }

    private void checkPrefillAndGreedy(String fixture, ExportOptions options, String what) throws IOException {
        CausalLM lm = model(fixture, options);
        Goldens g = new Goldens(fixture);
        double worst = 0;
        for (int p = 0; p < g.prompts(); p++) {
            worst = Math.max(worst, prefillError(lm, g, p));
            int[] prompt = g.ints("prompt" + p + ".input_ids");
            int[][] out = Greedy.decode(lm, new int[][] {prompt}, new int[][] {ones(prompt.length)}, NEW_TOKENS);
            assertThat(out[0]).as("%s prompt %d", fixture, p).containsExactly(g.greedy(p));
        }
        System.out.printf("[export] %s fp32 %s: prefill max abs logit error %.3g%n", fixture, what, worst);
        assertThat(worst).isLessThanOrEqualTo(1e-4);
    }

    /** Node op types of the graph ONNX Runtime runs after its ALL_OPT rewrites, counted. */
    private static Map<String, Integer> optimizedOpTypes(Path folder) throws IOException, OrtException {
        Path optimized = folder.resolve("optimized.onnx");
        Engine.getEngine("OnnxRuntime");
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setOptimizedModelFilePath(optimized.toString());
            OrtEnvironment.getEnvironment().createSession(folder.resolve(OnnxExporter.MODEL_FILE).toString(), so).close();
        }
        Map<String, Integer> counts = new TreeMap<>();
        byte[] model = Files.readAllBytes(optimized);
        // ModelProto.graph (7) -> GraphProto.node (1) -> NodeProto.op_type (4).
        for (byte[] graph : fields(model, 7)) {
            for (byte[] node : fields(graph, 1)) {
                for (byte[] op : fields(node, 4)) {
                    counts.merge(new String(op, StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
        }
        assertThat(counts).isNotEmpty();
        return counts;
    }

    /** The length-delimited fields number {@code field} of a protobuf message. */
    private static List<byte[]> fields(byte[] m, int field) {
        List<byte[]> out = new ArrayList<>();
        int[] pos = {0};
        while (pos[0] < m.length) {
            long key = varint(m, pos);
            int wire = (int) (key & 7);
            switch (wire) {
                case 0 -> varint(m, pos);
                case 1 -> pos[0] += 8;
                case 5 -> pos[0] += 4;
                case 2 -> {
                    int len = (int) varint(m, pos);
                    if (key >>> 3 == field) {
                        out.add(Arrays.copyOfRange(m, pos[0], pos[0] + len));
                    }
                    pos[0] += len;
                }
                default -> throw new IllegalStateException("wire type " + wire);
            }
        }
        return out;
    }

    private static long varint(byte[] m, int[] pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = m[pos[0]++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
    }
}
