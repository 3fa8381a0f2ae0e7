package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;

/**
 * {@link Linear} over a frozen weight. Uses the engine's fused {@code linear} op (one GEMM/GEMV
 * with the bias folded in) on the weight as stored, {@code [out, in]}: no transposed copy is made.
 */
final class DenseLinear implements Linear {
    private final NDArray weight; // [out, in]
    private final NDArray bias; // [out] or null

    DenseLinear(NDArray weight, NDArray bias) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("linear weight must be 2-D, got " + weight.getShape());
        }
        if (bias != null && bias.getShape().get(0) != weight.getShape().get(0)) {
            throw new IllegalArgumentException(
                    "bias " + bias.getShape() + " does not match weight " + weight.getShape());
        }
        this.weight = weight;
        this.bias = bias;
    }

    @Override
    public NDArray apply(NDArray x) {
        // The input comes first so that the result is attached to the caller's (step) manager.
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    @Override
    public long inFeatures() {
        return weight.getShape().get(1);
    }

    @Override
    public long outFeatures() {
        return weight.getShape().get(0);
    }
}
