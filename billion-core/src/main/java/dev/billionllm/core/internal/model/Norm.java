package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.config.NormKind;

/**
 * Normalisation over the last dimension: RMSNorm (llama) or LayerNorm with optional bias (stablelm,
 * gpt_neox). Statistics are computed in fp32, as transformers upcasts before normalising.
 */
interface Norm {

    /** Normalises {@code x [..., hidden]}; the result belongs to {@code x}'s manager. */
    NDArray apply(NDArray x);

    /**
     * The norm of {@code kind}.
     *
     * @param weight scale {@code [hidden]}
     * @param bias shift {@code [hidden]}, or null (RMSNorm has none; some LayerNorms neither)
     */
    static Norm of(NormKind kind, NDArray weight, NDArray bias, double eps) {
        switch (kind) {
            case RMS_NORM:
                return new RmsNorm(weight, eps);
            case LAYER_NORM:
                return new LayerNorm(weight, bias, eps);
            default:
                throw new AssertionError(kind);
        }
    }

    /** {@code x / sqrt(mean(x^2) + eps) * weight}. */
    final class RmsNorm implements Norm {
        private final NDArray weight;
        // Made once beside the weight, not per step (see Scalars for why not x.add(double)).
        private final NDArray eps;
        private final NDArray minusHalf;

        RmsNorm(NDArray weight, double eps) {
            this.weight = weight;
            this.eps = Scalars.of(weight.getManager(), eps);
            this.minusHalf = Scalars.of(weight.getManager(), -0.5);
        }

        @Override
        public NDArray apply(NDArray x) {
            NDArray variance = x.square().mean(new int[] {-1}, true);
            // x * rsqrt(var + eps), then the weight, in transformers' order.
            return x.mul(variance.add(eps).pow(minusHalf)).mul(weight);
        }
    }

    /**
     * {@code (x - mean) / sqrt(var + eps) * weight + bias} with the engine's fused layer_norm (the
     * same kernel transformers calls); a missing bias is a zero shift.
     */
    final class LayerNorm implements Norm {
        private final NDArray weight;
        private final NDArray bias;
        private final double eps;

        LayerNorm(NDArray weight, NDArray bias, double eps) {
            this.weight = weight;
            this.bias = bias != null ? bias : weight.zerosLike();
            this.eps = eps;
        }

        @Override
        public NDArray apply(NDArray x) {
            Shape normalized = new Shape(weight.getShape().get(0));
            return x.getNDArrayInternal().layerNorm(x, normalized, weight, bias, (float) eps).singletonOrThrow();
        }
    }

    /**
     * StableLM's {@code qk_layernorm}: an independent bias-free LayerNorm per attention head, applied
     * to {@code [batch, heads, seq, headDim]}. Normalising every head with unit scale and then
     * multiplying by the stacked {@code [heads, 1, headDim]} weights is the same math in two ops.
     */
    final class PerHeadLayerNorm implements Norm {
        private final NDArray weight; // [heads, 1, headDim]
        private final NDArray ones; // [headDim]
        private final NDArray zeros; // [headDim]
        private final double eps;

        PerHeadLayerNorm(NDArray stackedWeights, double eps) {
            long heads = stackedWeights.getShape().get(0);
            long headDim = stackedWeights.getShape().get(1);
            this.weight = stackedWeights.reshape(heads, 1, headDim);
            this.ones = stackedWeights.getManager().ones(new Shape(headDim));
            this.zeros = stackedWeights.getManager().zeros(new Shape(headDim));
            this.eps = eps;
        }

        @Override
        public NDArray apply(NDArray x) {
            Shape normalized = new Shape(ones.getShape().get(0));
            return x.getNDArrayInternal().layerNorm(x, normalized, ones, zeros, (float) eps).singletonOrThrow()
                    .mul(weight);
        }
    }
}
