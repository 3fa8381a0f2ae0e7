package dev.billionllm.core.internal.backend.onnx;

import dev.billionllm.core.testing.Greedy;
import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import com.google.gson.JsonObject;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is specific to the ONNX backend: file variants, layout errors, and that every native
 * tensor is released. Numerical agreement with the goldens is in
 * {@code dev.billionllm.core.lm.CausalLMConformanceTest}.
 */
class OnnxBackendTest {

    private static final Path FOLDER = Fixtures.dir("tiny-tinyllama-onnx");
    private static final Path GOLDEN = Fixtures.dir("tiny-tinyllama");
    private static final int[] PROMPT0 = {1, 705, 624};

    private static ModelConfig config;
    private static CausalLM fp32;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        config = ModelConfigParser.parse(FOLDER);
        fp32 = backend().load(FOLDER, config, LoadOptions.defaults());
    }

    @AfterAll
    static void close() {
        fp32.close();
    }

    private static Backend backend() {
        return Backends.get("onnxruntime");
    }

    @Test
    void isRegisteredAndRecognisesOnnxFolders() {
        assertThat(backend()).isInstanceOf(OnnxBackend.class);
        assertThat(backend().canLoad(FOLDER)).isTrue();
        assertThat(backend().canLoad(GOLDEN)).as("a safetensors-only folder").isFalse();
        assertThat(((OnnxCausalLM) fp32).file().getFileName().toString()).isEqualTo("model.onnx");
        assertThat(((OnnxCausalLM) fp32).halfPrecisionKv()).isFalse();
    }

    @Test
    void quantizedVariantLoadsByOptionAndAgreesOnTheFirstToken() {
        int expectedFirst = ModelConfigParser.readJson(GOLDEN.resolve("golden.json")).getAsJsonArray("generation")
                .get(0).getAsJsonObject().getAsJsonArray("greedy_new_ids").get(0).getAsInt();
        for (String variant : new String[] {"quantized", "model_quantized.onnx"}) {
            try (CausalLM q = backend().load(FOLDER, config, LoadOptions.builder().optVariant(variant).build());
                    KvCache cache = q.newCache(1, 8);
                    KvCache ref = fp32.newCache(1, 8)) {
                assertThat(((OnnxCausalLM) q).file().getFileName().toString()).isEqualTo("model_quantized.onnx");
                Logits logits = q.forward(TokenBatch.of(PROMPT0), cache, LogitsMode.LAST);
                Logits exact = fp32.forward(TokenBatch.of(PROMPT0), ref, LogitsMode.LAST);
                assertThat(Greedy.argmax(logits.last(0))).isEqualTo(expectedFirst);
                // int8 weights: the same choice from visibly different numbers, so this really is the other file.
                assertThat(maxAbs(logits.last(0), exact.last(0))).isGreaterThan(1e-3);
            }
        }
    }

    @Test
    void missingVariantListsWhatIsThere() {
        assertThatThrownBy(() -> backend().load(FOLDER, config, LoadOptions.builder().optVariant("q4").build()))
                .isInstanceOf(WeightLoadException.class)
                .hasMessageContaining("model_q4.onnx")
                .hasMessageContaining("model.onnx")
                .hasMessageContaining("model_quantized.onnx");
    }

    @Test
    void findsTransformersJsSubfolderAndMergedDecoderNames() throws IOException {
        Path js = tmp.resolve("js");
        Files.createDirectories(js.resolve("onnx"));
        Files.copy(FOLDER.resolve("config.json"), js.resolve("config.json"));
        Files.copy(FOLDER.resolve("model_quantized.onnx"), js.resolve("onnx/model_quantized.onnx"));
        Files.copy(FOLDER.resolve("model.onnx"), js.resolve("onnx/model.onnx"));
        Path merged = tmp.resolve("merged");
        Files.createDirectories(merged);
        Files.copy(FOLDER.resolve("model.onnx"), merged.resolve("decoder_model_merged.onnx"));

        assertThat(OnnxModelFiles.resolve(js, null)).isEqualTo(js.resolve("onnx/model.onnx"));
        assertThat(OnnxModelFiles.resolve(js, "quantized")).isEqualTo(js.resolve("onnx/model_quantized.onnx"));
        assertThat(OnnxModelFiles.resolve(merged, "fp32")).isEqualTo(merged.resolve("decoder_model_merged.onnx"));
        assertThat(backend().canLoad(js)).isTrue();
        try (CausalLM lm = backend().load(js, config, LoadOptions.builder().optThreads(1).build());
                KvCache cache = lm.newCache(1, 3);
                KvCache ref = fp32.newCache(1, 3)) {
            float[] a = lm.forward(TokenBatch.of(PROMPT0), cache, LogitsMode.LAST).last(0);
            float[] b = fp32.forward(TokenBatch.of(PROMPT0), ref, LogitsMode.LAST).last(0);
            assertThat(maxAbs(a, b)).isLessThan(1e-5);
        }
    }

    @Test
    void configWithMoreLayersThanTheGraphListsExpectedAndFound() throws IOException {
        JsonObject json = ModelConfigParser.readJson(FOLDER.resolve("config.json"));
        json.addProperty("num_hidden_layers", 3);
        ModelConfig three = ModelConfigParser.parse(json, "config.json");

        assertThatThrownBy(() -> backend().load(FOLDER, three, LoadOptions.defaults()))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("does not follow the decoder layout")
                .hasMessageContaining("missing inputs [past_key_values.2.key, past_key_values.2.value]")
                .hasMessageContaining("missing outputs [present.2.key, present.2.value]")
                .hasMessageContaining("3 layers")
                .hasMessageContaining("Found inputs: [attention_mask INT64")
                .hasMessageContaining("past_key_values.1.value FLOAT");
    }

    @Test
    void graphWithoutCacheInputsAndOutputsListsExpectedAndFound() throws IOException {
        // A real (if trivial) ONNX model: ids in, "logits" out, no KV cache and an extra input.
        byte[] model = TinyOnnx.model(
                new byte[][] {TinyOnnx.node("Identity", new String[] {"input_ids"}, new String[] {"logits"})},
                new byte[][] {
                    TinyOnnx.value("input_ids", TinyOnnx.INT64, "batch", "seq"),
                    TinyOnnx.value("attention_mask", TinyOnnx.INT64, "batch", "total"),
                    TinyOnnx.value("token_type_ids", TinyOnnx.INT64, "batch", "seq")
                },
                new byte[][] {TinyOnnx.value("logits", TinyOnnx.INT64, "batch", "seq")});
        Files.write(tmp.resolve("model.onnx"), model);

        assertThatThrownBy(() -> backend().load(tmp, config, LoadOptions.defaults()))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("missing inputs [past_key_values.0.key, past_key_values.0.value, "
                        + "past_key_values.1.key, past_key_values.1.value]")
                .hasMessageContaining("missing outputs [present.0.key, present.0.value, present.1.key, "
                        + "present.1.value]")
                .hasMessageContaining("unexpected inputs [token_type_ids]")
                .hasMessageContaining("Found inputs: [attention_mask INT64[batch, total], input_ids INT64[batch, seq], "
                        + "token_type_ids INT64[batch, seq]]")
                .hasMessageContaining("found outputs: [logits INT64[batch, seq]]");
    }

    @Test
    void corruptFileIsAWeightLoadError() throws IOException {
        Files.write(tmp.resolve("model.onnx"), "not a protobuf".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> backend().load(tmp, config, LoadOptions.defaults()))
                .isInstanceOf(WeightLoadException.class)
                .hasMessageContaining("model.onnx")
                .hasMessageContaining("ONNX Runtime cannot load");
    }

    /**
     * Speculative decoding's pattern, many rounds of "feed 4, keep 1": the cheap truncate leaves
     * stale positions, which are compacted once they pass the slack, and the logits stay those of a
     * cache that never saw the rejected tokens.
     */
    @Test
    void repeatedRollbacksCompactAndKeepTheLogits() {
        try (OrtKvCache spec = (OrtKvCache) fp32.newCache(1, 128); KvCache plain = fp32.newCache(1, 128)) {
            fp32.forward(TokenBatch.of(PROMPT0), spec, LogitsMode.LAST);
            fp32.forward(TokenBatch.of(PROMPT0), plain, LogitsMode.LAST);
            int maxStored = 0;
            for (int round = 0; round < 40; round++) {
                int kept = spec.length() + 1;
                fp32.forward(TokenBatch.of(5 + round % 7, 9, 10, 11), spec, LogitsMode.ALL);
                spec.truncate(kept);
                maxStored = Math.max(maxStored, spec.stored());
                fp32.forward(TokenBatch.of(5 + round % 7), plain, LogitsMode.LAST);
            }
            assertThat(spec.length()).isEqualTo(plain.length());
            assertThat(maxStored).as("stale positions are compacted").isLessThanOrEqualTo(
                    spec.length() + OrtKvCache.STALE_SLACK + spec.length() / 4 + 4);
            float[] a = fp32.forward(TokenBatch.of(3), spec, LogitsMode.LAST).last(0);
            float[] b = fp32.forward(TokenBatch.of(3), plain, LogitsMode.LAST).last(0);
            for (int j = 0; j < a.length; j++) {
                assertThat(Math.abs(a[j] - b[j])).as("logit " + j).isLessThanOrEqualTo(1e-4f);
            }
        }
    }

    @Test
    void cacheClosesReplacedTensorsAndEverythingOnClose() {
        int layers = config.numHiddenLayers();
        OrtKvCache copy;
        try (OrtKvCache cache = (OrtKvCache) fp32.newCache(1, 16)) {
            assertThat(cache.liveTensors()).isEqualTo(2 * layers);
            OnnxTensor empty = cache.key(0);
            fp32.forward(TokenBatch.of(PROMPT0), cache, LogitsMode.LAST);
            assertThat(empty.isClosed()).as("the zero-length past is freed once replaced").isTrue();
            for (int step = 0; step < 5; step++) {
                OnnxTensor before = cache.value(layers - 1);
                fp32.forward(TokenBatch.of(7), cache, LogitsMode.LAST);
                assertThat(before.isClosed()).isTrue();
                assertThat(cache.liveTensors()).isEqualTo(2 * layers);
            }
            assertThat(cache.key(0).getInfo().getShape()).containsExactly(1, 2, 8, 16);
            OnnxTensor beforeTruncate = cache.key(0);
            cache.truncate(4);
            // one unpadded row truncates without copying: the rolled-back positions stay as stale
            // ones, masked, until there are enough of them to compact
            assertThat(beforeTruncate.isClosed()).isFalse();
            assertThat(cache.key(0)).isSameAs(beforeTruncate);
            assertThat(cache.length()).isEqualTo(4);
            assertThat(cache.stored()).isEqualTo(8);
            copy = (OrtKvCache) cache.copy();
            assertThat(copy.key(0)).isNotSameAs(cache.key(0));
            assertThat(copy.key(0).getInfo().getShape()).as("a copy is compact").containsExactly(1, 2, 4, 16);
        }
        assertThat(copy.liveTensors()).as("closing the original leaves the copy alive").isEqualTo(2 * layers);
        copy.close();
        assertThat(copy.liveTensors()).isZero();
        assertThatThrownBy(() -> fp32.forward(TokenBatch.of(1), copy, LogitsMode.LAST))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stackedRowsHoldOnlyTheirOwnTensors() {
        int layers = config.numHiddenLayers();
        try (OrtKvCache a = (OrtKvCache) fp32.newCache(2, 32); OrtKvCache b = (OrtKvCache) fp32.newCache(1, 32)) {
            fp32.forward(TokenBatch.leftPadded(new int[][] {PROMPT0, {1, 705}}, 0), a, LogitsMode.LAST);
            fp32.forward(TokenBatch.of(1, 2, 3, 4, 5), b, LogitsMode.LAST);
            OrtKvCache stacked = (OrtKvCache) fp32.stackRows(List.of(new CacheRow(a, 1), new CacheRow(b, 0)), 32);
            assertThat(stacked.liveTensors()).isEqualTo(2 * layers);
            assertThat(stacked.key(0).getInfo().getShape()).containsExactly(2, 2, 5, 16);
            fp32.forward(TokenBatch.of(new int[][] {{7}, {8}}), stacked, LogitsMode.LAST);
            assertThat(stacked.liveTensors()).isEqualTo(2 * layers);
            stacked.close();
            assertThat(stacked.liveTensors()).isZero();
            assertThat(a.liveTensors()).as("the sources are untouched").isEqualTo(2 * layers);
        }
    }

    @Test
    void positionsFollowHuggingFaceCumsumForLeftPadding() {
        try (OrtKvCache cache = (OrtKvCache) fp32.newCache(2, 8)) {
            int[][] mask = {{0, 0, 1, 1}, {1, 1, 1, 1}};
            // cumsum(mask) - 1, clamped at 0
            assertThat(cache.positionsFor(mask)).containsExactly(0, 0, 0, 1, 0, 1, 2, 3);
            fp32.forward(TokenBatch.of(new int[][] {{0, 0, 5, 6}, {5, 6, 7, 8}}, mask), cache, LogitsMode.LAST);
            int[][] next = {{1}, {1}};
            assertThat(cache.positionsFor(next)).containsExactly(2, 4);
            assertThat(cache.maskWith(next)).containsExactly(0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        }
    }

    @Test
    void rejectsCachesOfOtherModels() {
        try (CausalLM other = backend().load(FOLDER, config, LoadOptions.defaults());
                KvCache foreign = other.newCache(1, 4)) {
            assertThatThrownBy(() -> fp32.forward(TokenBatch.of(1), foreign, LogitsMode.LAST))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not created by this model");
        }
    }

    @Test
    void rejectsBadOptions() {
        assertThatThrownBy(() -> OnnxBackend.parseOptimization("fast"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none, basic, extended or all");
        assertThat(OnnxBackend.parseOptimization("basic")).isNotNull();
        assertThatThrownBy(() -> LoadOptions.builder().optDevice("tpu"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpu, gpu or gpu:N");
        assertThatThrownBy(() -> LoadOptions.builder().optBackend("onnxruntime").optBackendOption("optimisation", "all")
                .build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no option \"optimisation\"").hasMessageContaining("[optimization, spinning]");
        assertThatThrownBy(() -> LoadOptions.builder().optBackend("onnxruntime").optBackendOption("spinning", "no")
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("true or false");
        assertThatThrownBy(() -> backend().load(FOLDER, config,
                LoadOptions.builder().optBackendOption("optimization", "fast").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none, basic, extended or all");
        assertThatThrownBy(() -> fp32.newCache(1, config.maxPositionEmbeddings() + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_position_embeddings");
        assertThatThrownBy(() -> fp32.forward(TokenBatch.of(config.vocabSize()), fp32.newCache(1, 2), LogitsMode.LAST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
    }

    @Test
    void everyOptimisationLevelGivesTheSameLogits() {
        try (CausalLM none = backend().load(FOLDER, config,
                        LoadOptions.builder().optBackendOption(OnnxBackend.OPTIMIZATION, "none").build());
                KvCache a = none.newCache(1, 3);
                KvCache b = fp32.newCache(1, 3)) {
            float[] x = none.forward(TokenBatch.of(PROMPT0), a, LogitsMode.LAST).last(0);
            float[] y = fp32.forward(TokenBatch.of(PROMPT0), b, LogitsMode.LAST).last(0);
            assertThat(maxAbs(x, y)).isLessThan(1e-4);
        }
    }

}
