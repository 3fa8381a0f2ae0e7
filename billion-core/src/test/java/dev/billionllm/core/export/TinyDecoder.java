package dev.billionllm.core.export;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A small random decoder checkpoint held in memory under transformers' llama-style tensor names
 * ({@code model.layers.i.self_attn.q_proj}, ...), for the families that use them: StableLM
 * (LayerNorm with bias, partial rotary 0.25, q/k/v biases, and the {@code qk_layernorm} /
 * {@code use_parallel_residual} switches as asked) and Qwen2 (RMSNorm, full rotary, q/k/v biases,
 * tied embeddings). Hidden 64, 4 query heads over 2 kv heads (GQA), head_dim 16 (can be changed),
 * 2 layers. Scales are chosen so logits spread over a few units (greedy tokens are far from ties)
 * and every per-head norm scale differs.
 */
final class TinyDecoder {

    final String modelType;
    final int hidden;
    final int heads = 4;
    final int kvHeads = 2;
    final int headDim;
    final int intermediate = 96;
    final int vocab = 512;
    final int layers = 2;
    final double eps = 1e-5;
    final double ropeTheta = 10000;
    final double partialRotaryFactor;
    /** RMSNorm without bias (Qwen2) instead of LayerNorm with bias (StableLM). */
    final boolean rmsNorm;
    final boolean qkNorm;
    final boolean parallel;
    final boolean tied;
    /** Tensor name to row-major values and shape. */
    final Map<String, float[]> values = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();

    private TinyDecoder(String modelType, boolean rmsNorm, boolean qkNorm, boolean parallel, boolean tied,
            int headDim, double partialRotaryFactor) {
        this.modelType = modelType;
        this.rmsNorm = rmsNorm;
        this.qkNorm = qkNorm;
        this.parallel = parallel;
        this.tied = tied;
        this.headDim = headDim;
        this.hidden = heads * headDim;
        this.partialRotaryFactor = partialRotaryFactor;
    }

    static TinyDecoder stableLm(boolean qkNorm, boolean parallel, long seed) {
        return stableLm(qkNorm, parallel, seed, 16, 0.25);
    }

    /** Another head size (hidden = 4 heads x headDim); {@code headDim * partialRotaryFactor} must be even. */
    static TinyDecoder stableLm(boolean qkNorm, boolean parallel, long seed, int headDim, double partialRotaryFactor) {
        return new TinyDecoder("stablelm", false, qkNorm, parallel, false, headDim, partialRotaryFactor).fill(seed);
    }

    /** Qwen2: llama with q/k/v biases and tied embeddings. */
    static TinyDecoder qwen2(long seed) {
        return new TinyDecoder("qwen2", true, false, false, true, 16, 1.0).fill(seed);
    }

    private TinyDecoder fill(long seed) {
        Random r = new Random(seed);
        int h = hidden;
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        put("model.embed_tokens.weight", r, 0, 1, vocab, h);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            norm(p + "input_layernorm", r, h);
            if (!parallel) {
                norm(p + "post_attention_layernorm", r, h);
            }
            double in = 1 / Math.sqrt(h);
            put(p + "self_attn.q_proj.weight", r, 0, in, q, h);
            put(p + "self_attn.q_proj.bias", r, 0, 0.1, q);
            put(p + "self_attn.k_proj.weight", r, 0, in, kv, h);
            put(p + "self_attn.k_proj.bias", r, 0, 0.1, kv);
            put(p + "self_attn.v_proj.weight", r, 0, in, kv, h);
            put(p + "self_attn.v_proj.bias", r, 0, 0.1, kv);
            put(p + "self_attn.o_proj.weight", r, 0, 1 / Math.sqrt(q), h, q);
            if (qkNorm) {
                for (int head = 0; head < heads; head++) {
                    put(p + "self_attn.q_layernorm.norms." + head + ".weight", r, 1, 0.5, headDim);
                }
                for (int head = 0; head < kvHeads; head++) {
                    put(p + "self_attn.k_layernorm.norms." + head + ".weight", r, 1, 0.5, headDim);
                }
            }
            put(p + "mlp.gate_proj.weight", r, 0, in, intermediate, h);
            put(p + "mlp.up_proj.weight", r, 0, in, intermediate, h);
            put(p + "mlp.down_proj.weight", r, 0, 1 / Math.sqrt(intermediate), h, intermediate);
        }
        norm("model.norm", r, h);
        if (!tied) {
            put("lm_head.weight", r, 0, 0.3, vocab, h);
        }
        return this;
    }

    /** A deep copy, for variants with edited weights. */
    TinyDecoder copy() {
        TinyDecoder c = new TinyDecoder(modelType, rmsNorm, qkNorm, parallel, tied, headDim, partialRotaryFactor);
        values.forEach((k, v) -> c.values.put(k, v.clone()));
        c.shapes.putAll(shapes);
        return c;
    }

    float[] get(String name) {
        float[] v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return v;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** Swaps the q_layernorm scales of query heads {@code a} and {@code b} in {@code layer}. */
    void swapQueryHeadNorms(int layer, int a, int b) {
        String p = "model.layers." + layer + ".self_attn.q_layernorm.norms.";
        float[] first = get(p + a + ".weight");
        values.put(p + a + ".weight", get(p + b + ".weight"));
        values.put(p + b + ".weight", first);
    }

    /** Swaps query heads {@code a} and {@code b}'s q_proj rows and bias and o_proj columns in {@code layer}. */
    void swapQueryHeadProjections(int layer, int a, int b) {
        String p = "model.layers." + layer + ".self_attn.";
        swapBlocks(get(p + "q_proj.weight"), a * headDim * hidden, b * headDim * hidden, headDim * hidden);
        swapBlocks(get(p + "q_proj.bias"), a * headDim, b * headDim, headDim);
        float[] out = get(p + "o_proj.weight");
        int cols = heads * headDim;
        for (int row = 0; row < hidden; row++) {
            swapBlocks(out, row * cols + a * headDim, row * cols + b * headDim, headDim);
        }
    }

    /** The config.json transformers would write for this model. */
    JsonObject config() {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", modelType);
        c.addProperty("hidden_act", "silu");
        c.addProperty("hidden_size", hidden);
        c.addProperty("intermediate_size", intermediate);
        c.addProperty("num_attention_heads", heads);
        c.addProperty("num_key_value_heads", kvHeads);
        c.addProperty("num_hidden_layers", layers);
        c.addProperty("vocab_size", vocab);
        c.addProperty("rope_theta", ropeTheta);
        c.addProperty("max_position_embeddings", 256);
        c.addProperty("tie_word_embeddings", tied);
        c.addProperty("bos_token_id", 0);
        c.addProperty("eos_token_id", 0);
        c.addProperty("torch_dtype", "float32");
        if (modelType.equals("qwen2")) {
            // Qwen2Config's keys; the sliding window is off, as in every released Qwen2/2.5 model.
            c.addProperty("rms_norm_eps", eps);
            c.addProperty("use_sliding_window", false);
            c.addProperty("sliding_window", 256);
            c.addProperty("max_window_layers", layers);
            c.addProperty("attention_dropout", 0.0);
        } else {
            c.addProperty("layer_norm_eps", eps);
            c.addProperty("partial_rotary_factor", partialRotaryFactor);
            c.addProperty("qk_layernorm", qkNorm);
            c.addProperty("use_parallel_residual", parallel);
            c.addProperty("use_qkv_bias", true);
        }
        return c;
    }

    /** Writes config.json and model.safetensors into {@code folder}. */
    void write(Path folder) throws IOException {
        write(folder, config());
    }

    /** Writes {@code config} as config.json and the weights as model.safetensors into {@code folder}. */
    void write(Path folder, JsonObject config) throws IOException {
        Files.createDirectories(folder);
        Path tmp = folder.resolve("config.json.tmp");
        Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(config));
        Files.move(tmp, folder.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        values.forEach((name, v) -> w.addFloats(name, DType.F32, shapes.get(name), v));
        w.write(folder.resolve("model.safetensors"));
    }

    private void norm(String prefix, Random r, int n) {
        put(prefix + ".weight", r, 1, 0.2, n);
        if (!rmsNorm) {
            put(prefix + ".bias", r, 0, 0.1, n);
        }
    }

    private void put(String name, Random r, double mean, double std, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + std * r.nextGaussian());
        }
        values.put(name, v);
        shapes.put(name, shape);
    }

    private static void swapBlocks(float[] v, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            float t = v[a + i];
            v[a + i] = v[b + i];
            v[b + i] = t;
        }
    }
}
