/**
 * The ONNX Runtime backend ("onnxruntime"): runs decoders exported in the Optimum /
 * transformers.js layout ({@code input_ids}, {@code attention_mask}, {@code position_ids},
 * {@code past_key_values.{i}.key|value} in; {@code logits}, {@code present.{i}.key|value} out).
 * The graph holds the architecture, so no model math lives here: only file selection
 * ({@link dev.billionllm.core.backend.onnx.OnnxModelFiles}), layout checks, and the KV cache that
 * feeds presents back as pasts. Sampling and generation are the shared code above
 * {@link dev.billionllm.core.lm.CausalLM}.
 */
package dev.billionllm.core.backend.onnx;
