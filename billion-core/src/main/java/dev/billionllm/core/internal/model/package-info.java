/**
 * The decoder-only transformer on DJL's PyTorch engine, written once for every family: {@link dev.billionllm.core.internal.model.Norm}
 * (RMSNorm, LayerNorm), {@link dev.billionllm.core.internal.model.RotaryEmbedding},
 * {@link dev.billionllm.core.internal.model.Attention}, {@link dev.billionllm.core.internal.model.Mlp},
 * {@link dev.billionllm.core.internal.model.DecoderLayer} and the stack,
 * {@link dev.billionllm.core.internal.model.Transformer}, all over DJL {@code NDArray}s. Projections go
 * through {@link dev.billionllm.core.internal.model.Linear} so that adapters can wrap them.
 *
 * <p>Families differ only by {@link dev.billionllm.core.config.ModelConfig} fields and the
 * engine-free description in {@link dev.billionllm.core.arch} (tensor names, fused layouts, rope
 * schedule, constants), which the ONNX exporter reads too: nothing here names a checkpoint tensor
 * or a family. Cache ownership, masks and positions belong to the backend ({@code backend.pytorch}),
 * not here.
 *
 * <p>Internal: not part of the public API (docs/architecture.md). Users run models through
 * {@code Model.load}; the types that stay public here do so only because the PyTorch backend,
 * adapters, training and benchmarks in other packages and modules reach them, and they may change
 * without notice. Blocks used only here ({@code Norm}, {@code Mlp}, {@code DecoderLayer}) are
 * package-private.
 */
package dev.billionllm.core.internal.model;
