/**
 * The PyTorch backend (DJL's PyTorch engine): {@link dev.billionllm.core.backend.pytorch.PtBackend}
 * loads safetensors checkpoints into a {@link dev.billionllm.core.backend.pytorch.PtCausalLM} that runs
 * the shared {@link dev.billionllm.core.model.Transformer} math in fp32, on CPU or on a GPU DJL finds.
 * Engine-specific code (devices, threads, managers, the KV cache) stays in this package.
 */
package dev.billionllm.core.backend.pytorch;
