/**
 * The decoder-only transformer on DJL's PyTorch engine, written once for every family: {@link dev.billionllm.core.model.Norm}
 * (RMSNorm, LayerNorm), {@link dev.billionllm.core.model.RotaryEmbedding},
 * {@link dev.billionllm.core.model.Attention}, {@link dev.billionllm.core.model.Mlp},
 * {@link dev.billionllm.core.model.DecoderLayer} and the stack,
 * {@link dev.billionllm.core.model.Transformer}, all over DJL {@code NDArray}s. Projections go
 * through {@link dev.billionllm.core.model.Linear} so that adapters can wrap them.
 *
 * <p>Families differ only by {@link dev.billionllm.core.config.ModelConfig} fields and the
 * engine-free description in {@link dev.billionllm.core.arch} (tensor names, fused layouts, rope
 * schedule, constants), which the ONNX exporter reads too: nothing here names a checkpoint tensor
 * or a family. Cache ownership, masks and positions belong to the backend ({@code backend.pytorch}),
 * not here.
 */
package dev.billionllm.core.model;
