package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;

/**
 * One transformer block, sequential or parallel residual.
 *
 * <pre>
 * sequential (llama, stablelm):  h = x + attn(norm1(x));  out = h + mlp(norm2(h))
 * parallel   (gpt_neox):         out = x + attn(norm1(x)) + mlp(norm2(x))
 * parallel   (stablelm):         out = x + attn(norm1(x)) + mlp(norm1(x))   (norm2 is null)
 * </pre>
 */
final class DecoderLayer {
    private final Norm norm1;
    private final Attention attention;
    private final Norm norm2; // null: parallel block sharing norm1
    private final Mlp mlp;
    private final boolean parallelResidual;

    public DecoderLayer(Norm norm1, Attention attention, Norm norm2, Mlp mlp, boolean parallelResidual) {
        if (norm2 == null && !parallelResidual) {
            throw new IllegalArgumentException("a sequential block needs its post-attention norm");
        }
        this.norm1 = norm1;
        this.attention = attention;
        this.norm2 = norm2;
        this.mlp = mlp;
        this.parallelResidual = parallelResidual;
    }

    /** Runs the block on {@code x [batch, seq, hidden]}. */
    public NDArray forward(NDArray x, Step step, int layer) {
        if (parallelResidual) {
            NDArray normed = norm1.apply(x);
            NDArray attn = attention.forward(normed, step, layer);
            NDArray ff = mlp.forward(norm2 != null ? norm2.apply(x) : normed);
            return x.add(attn).add(ff);
        }
        NDArray h = x.add(attention.forward(norm1.apply(x), step, layer));
        return h.add(mlp.forward(norm2.apply(h)));
    }
}
