/**
 * The PyTorch backend (DJL's PyTorch engine): {@link dev.billionllm.core.internal.backend.pytorch.PtBackend}
 * loads safetensors checkpoints into a {@link dev.billionllm.core.internal.backend.pytorch.PtCausalLM} that runs
 * the shared {@link dev.billionllm.core.internal.model.Transformer} math in fp32, on CPU or on a GPU DJL finds.
 * Engine-specific code (devices, threads, managers, the KV cache) stays in this package.
 *
 * <p>Internal: not part of the public API (docs/architecture.md). Users load through
 * {@code Model.load} with {@code LoadOptions.builder().optBackend("pytorch")}; types here are
 * public only because other billion-llm packages and modules (adapters, benchmarks, training)
 * reach them, and may change without notice. {@code PtBackend} is public for
 * {@link java.util.ServiceLoader}.
 */
package dev.billionllm.core.internal.backend.pytorch;
