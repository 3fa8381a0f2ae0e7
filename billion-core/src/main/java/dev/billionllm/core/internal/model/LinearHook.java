package dev.billionllm.core.internal.model;

import dev.billionllm.core.arch.ParameterLayout;

/**
 * Lets a caller replace projections while {@link Transformer#load} builds them, for example to wrap
 * them with LoRA deltas. Roles are {@code "layers.<i>.qkv"} (output {@code [q | k | v]}, widths
 * {@code heads*headDim}, {@code kvHeads*headDim}, {@code kvHeads*headDim}),
 * {@code "layers.<i>.attention_output"}, {@code "layers.<i>.mlp_up"} (gated: output
 * {@code [gate | up]}), {@code "layers.<i>.mlp_down"} and {@code "lm_head"}.
 *
 * <p>q/k/v and gate/up are fused at load time. The {@link ParameterLayout.Projection} passed to
 * {@link #wrap(ParameterLayout.Projection, Linear)} says which checkpoint modules a fused projection
 * holds: its weight's {@code parts()} name them with their Hugging Face prefixes
 * ({@code ...self_attn.q_proj}, GPT-NeoX's {@code ...attention.query_key_value}, {@code ...dense},
 * {@code ...dense_h_to_4h}, {@code ...dense_4h_to_h}) and row counts in concatenation order, and
 * {@code sourceRows()} maps each fused row back to its checkpoint row. GPT-NeoX's
 * {@code query_key_value} is regrouped per head, so a delta written for that tensor is reordered by
 * {@code sourceRows()} before it is added to the fused projection.
 */
@FunctionalInterface
public interface LinearHook {

    /** Leaves every projection as loaded. */
    LinearHook NONE = (role, base) -> base;

    /** The layer to use for {@code role}; return {@code base} to keep it. */
    Linear wrap(String role, Linear base);

    /**
     * The layer to use for {@code projection}, which tells which checkpoint tensors (and rows) it
     * holds; by default {@link #wrap(String, Linear)} with its role.
     */
    default Linear wrap(ParameterLayout.Projection projection, Linear base) {
        return wrap(projection.role(), base);
    }
}
