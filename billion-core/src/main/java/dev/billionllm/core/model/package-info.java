/**
 * The decoder-only transformer, written once for every family: {@link dev.billionllm.core.model.Norm}
 * (RMSNorm, LayerNorm), {@link dev.billionllm.core.model.RotaryEmbedding},
 * {@link dev.billionllm.core.model.Attention}, {@link dev.billionllm.core.model.Mlp},
 * {@link dev.billionllm.core.model.DecoderLayer} and the stack,
 * {@link dev.billionllm.core.model.Transformer}, all over DJL {@code NDArray}s. Projections go
 * through {@link dev.billionllm.core.model.Linear} so that adapters can wrap them.
 *
 * <p>Families differ only by {@link dev.billionllm.core.config.ModelConfig} fields; the sub-packages
 * hold checkpoint tensor names. Cache ownership, masks and positions belong to the backend
 * ({@code backend.pytorch}), not here.
 */
package dev.billionllm.core.model;
