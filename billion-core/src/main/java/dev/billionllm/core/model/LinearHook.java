package dev.billionllm.core.model;

/**
 * Lets a caller replace projections while {@link Transformer#load} builds them, for example to wrap
 * them with LoRA deltas. Roles are {@code "layers.<i>.qkv"} (output {@code [q | k | v]}, widths
 * {@code heads*headDim}, {@code kvHeads*headDim}, {@code kvHeads*headDim}),
 * {@code "layers.<i>.attention_output"}, {@code "layers.<i>.mlp_up"} (gated: output
 * {@code [gate | up]}), {@code "layers.<i>.mlp_down"} and {@code "lm_head"}.
 */
@FunctionalInterface
public interface LinearHook {

    /** Leaves every projection as loaded. */
    LinearHook NONE = (role, base) -> base;

    /** The layer to use for {@code role}; return {@code base} to keep it. */
    Linear wrap(String role, Linear base);
}
