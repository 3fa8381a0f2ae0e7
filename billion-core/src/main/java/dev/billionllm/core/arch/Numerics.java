package dev.billionllm.core.arch;

/**
 * Constants both backends' arithmetic must agree on, with where they come from.
 */
public final class Numerics {

    /**
     * Added to the score of a key a query may not see: float32's lowest value, as transformers'
     * masks use ({@code torch.finfo(dtype).min}). Finite, so a fully masked row (a padding
     * position) gives a uniform softmax instead of NaN.
     */
    public static final float MASKED_SCORE = -Float.MAX_VALUE;

    /** tanh-GELU ({@code gelu_new}, {@code gelu_pytorch_tanh}): {@code 0.5 x (1 + tanh(c (x + a x^3)))}, this is a. */
    public static final float GELU_TANH_CUBIC = 0.044715f;

    /** tanh-GELU's c, {@code sqrt(2 / pi)}. */
    public static final float GELU_TANH_SCALE = (float) Math.sqrt(2 / Math.PI);

    private Numerics() {}

    /** Attention's score scale, {@code 1 / sqrt(headDim)}. */
    public static float attentionScale(int headDim) {
        return (float) (1 / Math.sqrt(headDim));
    }
}
