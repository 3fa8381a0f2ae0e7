package dev.billionllm.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import dev.billionllm.core.config.ModelConfig;

/**
 * Multi-head self-attention with grouped-query heads, rotary positions and a KV cache written in
 * place. Optional q/k/v biases (stablelm, gpt_neox) live in the projection; optional per-head
 * q/k LayerNorm (stablelm {@code qk_layernorm}) runs before the rotation.
 *
 * <p>q, k and v come from one fused projection whose output is {@code [q heads | k heads | v heads]}:
 * the loader concatenates separate q/k/v weights, or de-interleaves GPT-NeoX's per-head
 * {@code [q, k, v]} rows, so that one GEMM serves all families.
 */
public final class Attention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final Linear qkv; // hidden -> (heads + 2 kvHeads) * headDim
    private final Linear output; // heads * headDim -> hidden
    private final Norm qNorm; // null unless qk-norm
    private final Norm kNorm;
    private final RotaryEmbedding rope;

    public Attention(ModelConfig config, Linear qkv, Linear output, Norm qNorm, Norm kNorm, RotaryEmbedding rope) {
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.qkv = qkv;
        this.output = output;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.rope = rope;
    }

    /** The fused q/k/v projection (LoRA wraps it). */
    public Linear qkv() {
        return qkv;
    }

    /** The output projection. */
    public Linear output() {
        return output;
    }

    /**
     * Attends {@code x [batch, seq, hidden]} over the cached positions plus itself.
     *
     * @param layer index of this layer's cache in {@code step}
     */
    public NDArray forward(NDArray x, Step step, int layer) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        NDList qkvParts = qkv.apply(x).split(new long[] {heads * headDim, (heads + kvHeads) * headDim}, 2);
        NDArray q = toHeads(qkvParts.get(0), batch, seq, heads); // [B, H, S, D]
        NDArray k = toHeads(qkvParts.get(1), batch, seq, kvHeads); // [B, K, S, D]
        NDArray v = toHeads(qkvParts.get(2), batch, seq, kvHeads);
        if (qNorm != null) {
            q = qNorm.apply(q);
            k = kNorm.apply(k);
        }
        q = rope.apply(q, step.cos(), step.sin());
        k = rope.apply(k, step.cos(), step.sin());

        // Write the new keys/values into the preallocated cache, then read the whole prefix back as
        // views (no copy).
        int past = step.past();
        long total = past + seq;
        NDArray keyCache = step.keys().get(layer);
        NDArray valueCache = step.values().get(layer);
        NDIndex fresh = new NDIndex(":, :, {}:{}, :", past, total);
        keyCache.set(fresh, k);
        valueCache.set(fresh, v);
        NDIndex prefix = new NDIndex(":, :, :{}, :", total);
        NDArray keys = keyCache.get(step.manager(), prefix); // [B, K, T, D]
        NDArray values = valueCache.get(step.manager(), prefix);

        // Grouped-query attention without repeating k/v: the G = H/K query heads that share a kv
        // head are folded into the row dimension, [B, K, G*S, D] x [B, K, D, T].
        long groups = heads / kvHeads;
        NDArray qGrouped = q.mul(scale).reshape(batch, kvHeads, groups * seq, headDim);
        NDArray scores = qGrouped.matMul(keys.transpose(0, 1, 3, 2))
                .reshape(batch, kvHeads, groups, seq, total)
                .add(step.mask()); // mask [B, 1, 1, S, T]
        // Softmax in fp32 (everything is fp32 here; transformers upcasts for the same reason).
        NDArray probs = scores.softmax(-1).reshape(batch, kvHeads, groups * seq, total);
        NDArray context = probs.matMul(values) // [B, K, G*S, D] = [B, H, S, D]
                .reshape(batch, heads, seq, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(batch, seq, (long) heads * headDim);
        return output.apply(context);
    }

    private NDArray toHeads(NDArray x, long batch, long seq, int n) {
        return x.reshape(batch, seq, n, headDim).transpose(0, 2, 1, 3);
    }
}
