package dev.billionllm.core.export;

import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.util.Arrays;

/**
 * The checkpoint's tensors under the exporter's names, with shapes checked: the only place that
 * knows each family's Hugging Face key strings. Fused layouts are rearranged here, so the graph
 * builder sees one shape for every family: q, k and v stacked as {@code [q; k; v]} rows, gate and
 * up stacked as {@code [gate; up]}. Every matrix is {@code [out, in]} row-major as in the file.
 */
final class CheckpointWeights {

    private final ModelConfig config;
    private final TensorSource source;
    private final String layerPrefix;

    CheckpointWeights(ModelConfig config, TensorSource source) {
        this.config = config;
        this.source = source;
        this.layerPrefix = config.family() == dev.billionllm.core.config.Family.GPT_NEOX
                ? "gpt_neox.layers." : "model.layers.";
    }

    private boolean neox() {
        return config.family() == dev.billionllm.core.config.Family.GPT_NEOX;
    }

    /** Token embeddings {@code [vocab, hidden]}. */
    float[] embedding() {
        return get(neox() ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight",
                config.vocabSize(), config.hiddenSize());
    }

    /** Output projection {@code [vocab, hidden]} (the embedding when tied). */
    float[] lmHead() {
        if (config.tieWordEmbeddings()) {
            return embedding();
        }
        return get(neox() ? "embed_out.weight" : "lm_head.weight", config.vocabSize(), config.hiddenSize());
    }

    /** Final norm weight, or its bias when {@code bias}. */
    float[] finalNorm(boolean bias) {
        String base = neox() ? "gpt_neox.final_layer_norm." : "model.norm.";
        return get(base + (bias ? "bias" : "weight"), config.hiddenSize());
    }

    /** Layer norm before attention ({@code first}) or before the MLP; weight or bias. */
    float[] layerNorm(int layer, boolean first, boolean bias) {
        String name = first ? "input_layernorm." : "post_attention_layernorm.";
        return get(layerPrefix + layer + "." + name + (bias ? "bias" : "weight"), config.hiddenSize());
    }

    /**
     * Whether a parallel-residual block feeds the MLP from its own norm: GPT-NeoX has
     * {@code post_attention_layernorm}, StableLM's parallel block has none and reuses
     * {@code input_layernorm} (transformers' StableLmDecoderLayer only builds the second norm
     * when {@code use_parallel_residual} is false).
     */
    boolean parallelMlpNorm() {
        return neox();
    }

    /**
     * StableLM {@code qk_layernorm} scales, one {@code [headDim]} row per query head then per kv
     * head: {@code [(heads + kv) * headDim]}, the row order of {@link #qkv}'s q and k parts.
     */
    float[] qkNorm(int layer) {
        int d = config.headDim();
        int heads = config.numAttentionHeads();
        int kv = config.numKeyValueHeads();
        float[][] rows = new float[heads + kv][];
        String p = layerPrefix + layer + ".self_attn.";
        for (int h = 0; h < rows.length; h++) {
            rows[h] = get(h < heads ? p + "q_layernorm.norms." + h + ".weight"
                    : p + "k_layernorm.norms." + (h - heads) + ".weight", d);
        }
        return concat(rows);
    }

    /** q, k and v projections stacked as {@code [q; k; v]}: {@code [(heads + 2 kv) * headDim, hidden]}. */
    float[] qkv(int layer) {
        int h = config.hiddenSize();
        int d = config.headDim();
        int q = config.numAttentionHeads() * d;
        int kv = config.numKeyValueHeads() * d;
        if (config.qkvFused()) {
            float[] fused = get(layerPrefix + layer + ".attention.query_key_value.weight", q + 2 * kv, h);
            return unfuseHeads(fused, h);
        }
        String p = layerPrefix + layer + ".self_attn.";
        return concat(get(p + "q_proj.weight", q, h), get(p + "k_proj.weight", kv, h), get(p + "v_proj.weight", kv, h));
    }

    /** Bias of {@link #qkv}, same order. */
    float[] qkvBias(int layer) {
        int d = config.headDim();
        int q = config.numAttentionHeads() * d;
        int kv = config.numKeyValueHeads() * d;
        if (config.qkvFused()) {
            return unfuseHeads(get(layerPrefix + layer + ".attention.query_key_value.bias", q + 2 * kv), 1);
        }
        String p = layerPrefix + layer + ".self_attn.";
        return concat(get(p + "q_proj.bias", q), get(p + "k_proj.bias", kv), get(p + "v_proj.bias", kv));
    }

    /** Attention output projection {@code [hidden, heads * headDim]}. */
    float[] attentionOut(int layer) {
        String name = neox() ? ".attention.dense.weight" : ".self_attn.o_proj.weight";
        return get(layerPrefix + layer + name, config.hiddenSize(), config.numAttentionHeads() * config.headDim());
    }

    float[] attentionOutBias(int layer) {
        String name = neox() ? ".attention.dense.bias" : ".self_attn.o_proj.bias";
        return get(layerPrefix + layer + name, config.hiddenSize());
    }

    /** Gated MLP: {@code [gate; up]}, {@code [2 * intermediate, hidden]}; plain MLP: the first projection. */
    float[] mlpIn(int layer) {
        int h = config.hiddenSize();
        int i = config.intermediateSize();
        if (neox()) {
            return get(layerPrefix + layer + ".mlp.dense_h_to_4h.weight", i, h);
        }
        String p = layerPrefix + layer + ".mlp.";
        return concat(get(p + "gate_proj.weight", i, h), get(p + "up_proj.weight", i, h));
    }

    float[] mlpInBias(int layer) {
        int i = config.intermediateSize();
        if (neox()) {
            return get(layerPrefix + layer + ".mlp.dense_h_to_4h.bias", i);
        }
        String p = layerPrefix + layer + ".mlp.";
        return concat(get(p + "gate_proj.bias", i), get(p + "up_proj.bias", i));
    }

    /** MLP output projection {@code [hidden, intermediate]}. */
    float[] mlpOut(int layer) {
        String name = neox() ? ".mlp.dense_4h_to_h.weight" : ".mlp.down_proj.weight";
        return get(layerPrefix + layer + name, config.hiddenSize(), config.intermediateSize());
    }

    float[] mlpOutBias(int layer) {
        String name = neox() ? ".mlp.dense_4h_to_h.bias" : ".mlp.down_proj.bias";
        return get(layerPrefix + layer + name, config.hiddenSize());
    }

    /**
     * GPT-NeoX stores query_key_value rows per head as {@code [q_h; k_h; v_h]} (the output is viewed
     * as {@code [heads, 3 * headDim]}); regroup them as all q rows, then all k, then all v.
     */
    private float[] unfuseHeads(float[] fused, int rowLength) {
        int heads = config.numAttentionHeads();
        int d = config.headDim();
        float[] out = new float[fused.length];
        int block = d * rowLength;
        for (int head = 0; head < heads; head++) {
            for (int part = 0; part < 3; part++) {
                System.arraycopy(fused, (head * 3 + part) * block, out, (part * heads + head) * block, block);
            }
        }
        return out;
    }

    private float[] get(String name, long... shape) {
        if (!source.contains(name)) {
            throw new WeightLoadException("tensor " + name + " (shape " + Arrays.toString(shape)
                    + ") is missing from the checkpoint, which is required for a " + config.family().modelType()
                    + " model with this config.json");
        }
        long[] found = source.info(name).shape();
        if (!Arrays.equals(found, shape)) {
            throw new WeightLoadException("tensor " + name + " has shape " + Arrays.toString(found)
                    + ", expected " + Arrays.toString(shape) + " from config.json");
        }
        return source.floats(name);
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
