package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;

/**
 * A linear layer {@code y = x W^T + b}. Every projection of the model goes through this interface so
 * that a wrapper can change it without touching the blocks: LoRA adds {@code scale * B(A(x))} to a
 * base layer and trains only A and B with DJL autograd.
 *
 * <pre>{@code
 * Linear q = Linear.of(weight, bias);        // weight [out, in], bias [out] or null
 * NDArray y = q.apply(x);                    // x [..., in] -> y [..., out]
 * }</pre>
 */
public interface Linear {

    /** Applies the layer to {@code x [..., in]}; the result belongs to {@code x}'s manager. */
    NDArray apply(NDArray x);

    /** Input features. */
    long inFeatures();

    /** Output features. */
    long outFeatures();

    /** A plain dense layer over {@code weight [out, in]} and an optional {@code bias [out]}. */
    static Linear of(NDArray weight, NDArray bias) {
        return new DenseLinear(weight, bias);
    }
}
