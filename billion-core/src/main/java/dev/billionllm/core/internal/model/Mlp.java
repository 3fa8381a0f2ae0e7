package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.billionllm.core.arch.Numerics;
import dev.billionllm.core.config.Activation;
import dev.billionllm.core.config.MlpKind;

/**
 * The feed-forward block: gated {@code down(act(gate(x)) * up(x))} (llama, stablelm; gate and up
 * fused into one projection at load time) or plain {@code down(act(up(x)))} (gpt_neox).
 */
final class Mlp {
    private final MlpKind kind;
    private final Activation activation;
    private final Linear up; // GATED: hidden -> 2 * intermediate as [gate | up]; PLAIN: hidden -> intermediate
    private final Linear down; // intermediate -> hidden
    private final long intermediate;
    // tanh-GELU's constants, made once in the model's manager (see Scalars); null for other activations
    private final NDArray three;
    private final NDArray cubic;
    private final NDArray scale;
    private final NDArray half;
    private final NDArray one;

    /** @param manager the model's manager, which holds the activation's constants */
    public Mlp(MlpKind kind, Activation activation, Linear up, Linear down, NDManager manager) {
        this.kind = kind;
        this.activation = activation;
        this.up = up;
        this.down = down;
        this.intermediate = down.inFeatures();
        boolean tanh = activation == Activation.GELU_TANH;
        this.three = tanh ? Scalars.of(manager, 3) : null;
        this.cubic = tanh ? Scalars.of(manager, Numerics.GELU_TANH_CUBIC) : null;
        this.scale = tanh ? Scalars.of(manager, Numerics.GELU_TANH_SCALE) : null;
        this.half = tanh ? Scalars.of(manager, 0.5f) : null;
        this.one = tanh ? Scalars.of(manager, 1f) : null;
    }

    /** Applies the block to {@code x [batch, seq, hidden]}. */
    public NDArray forward(NDArray x) {
        NDArray h = up.apply(x);
        if (kind == MlpKind.GATED) {
            NDList gateUp = h.split(new long[] {intermediate}, h.getShape().dimension() - 1);
            return down.apply(activate(gateUp.get(0)).mul(gateUp.get(1)));
        }
        return down.apply(activate(h));
    }

    private NDArray activate(NDArray x) {
        switch (activation) {
            case SILU:
                return x.mul(x.getNDArrayInternal().sigmoid());
            case GELU:
                // torch's default gelu is the exact erf form, which is what "gelu" means in transformers.
                return x.getNDArrayInternal().gelu();
            case GELU_TANH: {
                NDArray inner = x.add(x.pow(three).mul(cubic)).mul(scale);
                return x.mul(half).mul(inner.tanh().add(one));
            }
            default:
                throw new AssertionError(activation);
        }
    }
}
