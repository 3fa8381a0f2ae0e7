package dev.billionllm.core.internal.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache's bookkeeping, checked value by value on a synthetic "echo" decoder whose presents
 * are the pasts with each new token's position (keys) and id (values) appended, in fp16. Its
 * logits are the token id, plus 1000 when {@code use_cache_branch} is set. This covers fp16 KV,
 * Optimum's merged-decoder flag, and that truncate and copy keep exactly the right positions:
 * things the fp32 tiny-tinyllama export cannot show.
 */
class OrtKvCacheTest {

    private static final int LAYERS = 2;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 4;
    private static final int VOCAB = 64;

    @TempDir
    Path folder;

    /** Writes the echo decoder as decoder_model_merged_fp16.onnx plus a matching config.json. */
    private CausalLM load() throws IOException {
        List<byte[]> nodes = new ArrayList<>();
        nodes.add(TinyOnnx.node("Unsqueeze", new String[] {"position_ids", "axes_1_3"}, new String[] {"pos4"}));
        nodes.add(TinyOnnx.node("Unsqueeze", new String[] {"input_ids", "axes_1_3"}, new String[] {"ids4"}));
        nodes.add(TinyOnnx.node("Expand", new String[] {"pos4", "kv_shape"}, new String[] {"pos_e"}));
        nodes.add(TinyOnnx.node("Expand", new String[] {"ids4", "kv_shape"}, new String[] {"ids_e"}));
        nodes.add(TinyOnnx.node("Cast", new String[] {"pos_e"}, new String[] {"pos_kv"}, "to", TinyOnnx.FLOAT16));
        nodes.add(TinyOnnx.node("Cast", new String[] {"ids_e"}, new String[] {"ids_kv"}, "to", TinyOnnx.FLOAT16));
        for (int i = 0; i < LAYERS; i++) {
            nodes.add(TinyOnnx.node("Concat", new String[] {"past_key_values." + i + ".key", "pos_kv"},
                    new String[] {"present." + i + ".key"}, "axis", 2));
            nodes.add(TinyOnnx.node("Concat", new String[] {"past_key_values." + i + ".value", "ids_kv"},
                    new String[] {"present." + i + ".value"}, "axis", 2));
        }
        // logits[b, t, :] = input_ids[b, t] + 1000 * use_cache_branch
        nodes.add(TinyOnnx.node("Unsqueeze", new String[] {"input_ids", "axes_2"}, new String[] {"ids3"}));
        nodes.add(TinyOnnx.node("Expand", new String[] {"ids3", "vocab_shape"}, new String[] {"ids_v"}));
        nodes.add(TinyOnnx.node("Cast", new String[] {"ids_v"}, new String[] {"ids_f"}, "to", TinyOnnx.FLOAT16));
        nodes.add(TinyOnnx.node("Cast", new String[] {"use_cache_branch"}, new String[] {"branch_f"}, "to",
                TinyOnnx.FLOAT16));
        nodes.add(TinyOnnx.node("Cast", new String[] {"thousand"}, new String[] {"thousand_f"}, "to",
                TinyOnnx.FLOAT16));
        nodes.add(TinyOnnx.node("Mul", new String[] {"branch_f", "thousand_f"}, new String[] {"offset"}));
        nodes.add(TinyOnnx.node("Add", new String[] {"ids_f", "offset"}, new String[] {"logits"}));

        List<byte[]> inputs = new ArrayList<>(List.of(
                TinyOnnx.value("input_ids", TinyOnnx.INT64, "batch", "seq"),
                TinyOnnx.value("attention_mask", TinyOnnx.INT64, "batch", "total"),
                TinyOnnx.value("position_ids", TinyOnnx.INT64, "batch", "seq"),
                TinyOnnx.value("use_cache_branch", TinyOnnx.BOOL, 1)));
        List<byte[]> outputs = new ArrayList<>(List.of(
                TinyOnnx.value("logits", TinyOnnx.FLOAT16, "batch", "seq", VOCAB)));
        for (int i = 0; i < LAYERS; i++) {
            for (String kv : new String[] {"key", "value"}) {
                inputs.add(TinyOnnx.value("past_key_values." + i + "." + kv, TinyOnnx.FLOAT16, "batch", KV_HEADS,
                        "past", HEAD_DIM));
                outputs.add(TinyOnnx.value("present." + i + "." + kv, TinyOnnx.FLOAT16, "batch", KV_HEADS,
                        "total", HEAD_DIM));
            }
        }
        byte[][] initializers = {
            TinyOnnx.int64s("axes_1_3", 1, 3),
            TinyOnnx.int64s("axes_2", 2),
            TinyOnnx.int64s("kv_shape", 1, KV_HEADS, 1, HEAD_DIM),
            TinyOnnx.int64s("vocab_shape", 1, 1, VOCAB),
            TinyOnnx.int64s("thousand", 1000)
        };
        Files.write(folder.resolve("decoder_model_merged_fp16.onnx"), TinyOnnx.model(nodes.toArray(byte[][]::new),
                initializers, inputs.toArray(byte[][]::new), outputs.toArray(byte[][]::new)));

        JsonObject config = new JsonObject();
        config.addProperty("model_type", "llama");
        config.addProperty("vocab_size", VOCAB);
        config.addProperty("hidden_size", KV_HEADS * HEAD_DIM * 2);
        config.addProperty("intermediate_size", 32);
        config.addProperty("num_hidden_layers", LAYERS);
        config.addProperty("num_attention_heads", 4);
        config.addProperty("num_key_value_heads", KV_HEADS);
        config.addProperty("max_position_embeddings", 64);
        ModelConfig parsed = ModelConfigParser.parse(config, "echo config");
        return Backends.get("onnxruntime").load(folder, parsed, LoadOptions.builder().optVariant("fp16").build());
    }

    @Test
    void halfPrecisionCacheKeepsPositionsAndIdsThroughStepsTruncateAndCopy() throws IOException {
        try (CausalLM lm = load(); OrtKvCache cache = (OrtKvCache) lm.newCache(2, 16)) {
            assertThat(((OnnxCausalLM) lm).halfPrecisionKv()).isTrue();
            assertThat(cache.sizeInBytes()).isEqualTo(2L * LAYERS * 2 * KV_HEADS * 16 * HEAD_DIM * 2);

            // Left-padded prefill: row 0 has two pads (id 0) before 11, 12.
            TokenBatch prompt = TokenBatch.of(new int[][] {{0, 0, 11, 12}, {21, 22, 23, 24}},
                    new int[][] {{0, 0, 1, 1}, {1, 1, 1, 1}});
            Logits first = lm.forward(prompt, cache, LogitsMode.ALL);
            assertThat(first.at(0, 3)[5]).as("fp16 logits widened, no cache branch").isEqualTo(12f);
            assertThat(first.at(1, 0)[0]).isEqualTo(21f);
            Logits second = lm.forward(TokenBatch.of(new int[][] {{13}, {25}}), cache, LogitsMode.LAST);
            assertThat(second.last(0)[0]).as("use_cache_branch once something is cached").isEqualTo(1013f);
            lm.forward(TokenBatch.of(new int[][] {{14}, {26}}), cache, LogitsMode.LAST);

            for (int layer = 0; layer < LAYERS; layer++) {
                assertThat(row(cache, true, layer, 0)).containsExactly(0, 0, 0, 1, 2, 3);
                assertThat(row(cache, true, layer, 1)).containsExactly(0, 1, 2, 3, 4, 5);
                assertThat(row(cache, false, layer, 0)).containsExactly(0, 0, 11, 12, 13, 14);
                assertThat(row(cache, false, layer, 1)).containsExactly(21, 22, 23, 24, 25, 26);
            }

            try (OrtKvCache copy = (OrtKvCache) cache.copy()) {
                cache.truncate(3);
                assertThat(row(cache, false, 1, 0)).containsExactly(0, 0, 11);
                assertThat(row(cache, true, 1, 1)).containsExactly(0, 1, 2);
                // After rolling back, the next token takes the first forgotten position.
                lm.forward(TokenBatch.of(new int[][] {{40}, {41}}), cache, LogitsMode.LAST);
                assertThat(row(cache, true, 0, 0)).containsExactly(0, 0, 0, 1);
                assertThat(row(cache, true, 0, 1)).containsExactly(0, 1, 2, 3);
                assertThat(row(cache, false, 0, 0)).containsExactly(0, 0, 11, 40);

                assertThat(copy.length()).isEqualTo(6);
                assertThat(row(copy, false, 0, 1)).containsExactly(21, 22, 23, 24, 25, 26);
                assertThat(copy.positionsFor(new int[][] {{1}, {1}})).containsExactly(4, 6);
            }
        }
    }

    /** Layer {@code layer}'s keys (positions) or values (ids) of row {@code b}, head 1, element 3. */
    private static float[] row(OrtKvCache cache, boolean keys, int layer, int b) {
        var t = keys ? cache.key(layer) : cache.value(layer);
        long[] shape = t.getInfo().getShape();
        int len = (int) shape[2];
        FloatBuffer f = t.getFloatBuffer();
        float[] out = new float[len];
        int head = 1;
        for (int p = 0; p < len; p++) {
            out[p] = f.get(((b * KV_HEADS + head) * len + p) * HEAD_DIM + HEAD_DIM - 1);
        }
        return out;
    }

    @Test
    void echoModelFolderIsRecognised() throws IOException {
        try (CausalLM lm = load(); KvCache cache = lm.newCache(1, 2)) {
            assertThat(Backends.get("onnxruntime").canLoad(folder)).isTrue();
            assertThat(lm.forward(TokenBatch.of(7), cache, LogitsMode.LAST).last(0)[VOCAB - 1]).isEqualTo(7f);
        }
    }
}
