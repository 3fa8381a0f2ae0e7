/**
 * LoRA adapters in Hugging Face PEFT's format: {@link dev.billionllm.core.adapter.LoraConfig}
 * ({@code adapter_config.json}), {@link dev.billionllm.core.adapter.LoraAdapter}
 * ({@code adapter_model.safetensors}), the map from PEFT module names to this library's fused
 * projections ({@link dev.billionllm.core.adapter.LoraTargets}), and the two ways to apply an adapter:
 * unmerged on the PyTorch backend ({@link dev.billionllm.core.adapter.AdaptedBackend}, with the engine
 * side in {@code backend.pytorch.LoraLayers}; removable and swappable) or merged into the checkpoint tensors ({@link dev.billionllm.core.adapter.MergedTensorSource},
 * which also feeds the ONNX exporter and {@link dev.billionllm.core.adapter.MergedModelWriter}).
 *
 * <p>No engine type appears in this package's API. Training lives in {@code billion-finetune}; nothing
 * here records gradients.
 */
package dev.billionllm.core.adapter;
