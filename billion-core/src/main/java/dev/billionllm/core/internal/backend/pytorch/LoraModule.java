package dev.billionllm.core.internal.backend.pytorch;

import ai.djl.ndarray.NDArray;
import dev.billionllm.core.internal.model.Scalars;

/**
 * One adapted module's engine arrays: {@code A [r, in]} and {@code B [out, r]} in PEFT's layout,
 * and the delta {@code scaling * B(A(dropout(x)))} it adds to the base projection. Training marks
 * A and B as requiring gradients; inference leaves them frozen.
 *
 * @param a {@code [r, in]}
 * @param b {@code [out, r]}, rows in the checkpoint's order (per-head for GPT-NeoX {@code query_key_value})
 * @param scaling {@code alpha / r} (or {@code alpha / sqrt(r)})
 * @param dropout dropout probability on the input while training
 */
public record LoraModule(NDArray a, NDArray b, float scaling, float dropout) {

    /**
     * The delta for {@code x [..., in]}, {@code [..., out]} with B's rows as stored.
     *
     * @param training apply dropout (never at inference, as PEFT's {@code nn.Dropout} in eval mode)
     */
    public NDArray delta(NDArray x, boolean training) {
        NDArray in = training && dropout > 0
                ? x.getNDArrayInternal().dropout(x, dropout, true).singletonOrThrow()
                : x;
        NDArray low = in.getNDArrayInternal().linear(in, a, null).singletonOrThrow();
        return Scalars.apply(low.getNDArrayInternal().linear(low, b, null).singletonOrThrow(), scaling, NDArray::muli);
    }
}
