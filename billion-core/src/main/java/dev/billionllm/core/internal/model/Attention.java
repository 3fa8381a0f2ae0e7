package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import dev.billionllm.core.arch.Numerics;
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
    private final NDArray scale; // 1/sqrt(headDim), made once (see Scalars)
    private final Linear qkv; // hidden -> (heads + 2 kvHeads) * headDim
    private final Linear output; // heads * headDim -> hidden
    private final Norm qkNorm; // null unless qk-norm; over [B, H + K, S, D]
    private final NDArray rotateHalf; // [D, D], RotaryEmbedding.rotateHalfMatrix

    /**
     * @param qkv fused projection, output {@code [q heads | k heads | v heads]}
     * @param output output projection
     * @param qkNorm per-head norm over the q heads followed by the k heads, or null
     * @param rotateHalf {@link RotaryEmbedding#rotateHalfMatrix}, shared by all layers
     */
    public Attention(ModelConfig config, Linear qkv, Linear output, Norm qkNorm, NDArray rotateHalf) {
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.scale = Scalars.of(rotateHalf.getManager(), Numerics.attentionScale(headDim));
        this.qkv = qkv;
        this.output = output;
        this.qkNorm = qkNorm;
        this.rotateHalf = rotateHalf;
    }

    /**
     * Attends {@code x [batch, seq, hidden]} over the cached positions plus itself.
     *
     * @param layer index of this layer's cache in {@code step}
     */
    public NDArray forward(NDArray x, Step step, int layer) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        // One projection, one reshape to heads: [B, H + 2K, S, D]; q and k stay together through the
        // norm and the rotation (fewer engine calls per layer, which matters when decoding).
        NDList qkAndV = qkv.apply(x)
                .reshape(batch, seq, heads + 2L * kvHeads, headDim)
                .transpose(0, 2, 1, 3)
                .split(new long[] {heads + kvHeads}, 1);
        NDArray qk = qkAndV.get(0); // [B, H + K, S, D]
        NDArray v = qkAndV.get(1); // [B, K, S, D]
        if (qkNorm != null) {
            qk = qkNorm.apply(qk);
        }
        qk = RotaryEmbedding.apply(qk, step.cos(), step.sin(), rotateHalf);
        NDList qAndK = qk.split(new long[] {heads}, 1);
        NDArray q = qAndK.get(0); // [B, H, S, D]
        NDArray k = qAndK.get(1); // [B, K, S, D]

        int past = step.past();
        long total = past + seq;
        NDArray keys; // [B, K, T, D]
        NDArray values;
        if (step.keys() == null) {
            // No cache (training): attend over this pass only, and keep k/v in the autograd graph.
            keys = k;
            values = v;
        } else {
            // Write the new keys/values into the preallocated cache, then read the whole prefix back
            // as views (no copy).
            NDArray keyCache = step.keys().get(layer);
            NDArray valueCache = step.values().get(layer);
            // sliceAxis builds the index directly (the string form is parsed on every call).
            NDIndex fresh = NDIndex.sliceAxis(2, past, total);
            keyCache.set(fresh, k);
            valueCache.set(fresh, v);
            NDIndex prefix = NDIndex.sliceAxis(2, 0, total);
            keys = keyCache.get(step.manager(), prefix);
            values = valueCache.get(step.manager(), prefix);
        }

        // Grouped-query attention without repeating k/v: the G = H/K query heads that share a kv
        // head are folded into the row dimension, [B, K, G*S, D] x [B, K, D, T].
        long groups = heads / kvHeads;
        NDArray qGrouped = q.mul(scale).reshape(batch, kvHeads, groups * seq, headDim);
        NDArray scores = qGrouped.matMul(keys.transpose(0, 1, 3, 2))
                .reshape(batch, kvHeads, groups, seq, total)
                .addi(step.mask()); // mask [B, 1, 1, S, T]
        // Softmax in fp32 (everything is fp32 here; transformers upcasts for the same reason).
        NDArray probs = scores.softmax(-1).reshape(batch, kvHeads, groups * seq, total);
        NDArray context = probs.matMul(values); // [B, K, G*S, D] = [B, H, S, D]
        if (seq == 1) {
            // [B, H, 1, D] already has the memory order of [B, 1, H*D].
            context = context.reshape(batch, 1, (long) heads * headDim);
        } else {
            context = context.reshape(batch, heads, seq, headDim)
                    .transpose(0, 2, 1, 3)
                    .reshape(batch, seq, (long) heads * headDim);
        }
        return output.apply(context);
    }
}
