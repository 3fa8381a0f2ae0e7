/**
 * The ONNX Runtime backend ("onnxruntime"): runs decoders exported in the Optimum /
 * transformers.js layout ({@code input_ids}, {@code attention_mask}, {@code position_ids},
 * {@code past_key_values.{i}.key|value} in; {@code logits}, {@code present.{i}.key|value} out).
 * The graph holds the architecture, so no model math lives here: only file selection
 * ({@link dev.billionllm.core.internal.backend.onnx.OnnxModelFiles}), layout checks, and the KV cache that
 * feeds presents back as pasts. Sampling and generation are the shared code above
 * {@link dev.billionllm.core.lm.CausalLM}.
 *
 * <p>Sessions are driven through ONNX Runtime's Java API ({@code ai.onnxruntime}) rather than
 * DJL's {@code Predictor}: a decoder step needs named inputs, the outputs' element types, and
 * control over each output tensor's lifetime (presents must stay alive to be fed back, logits
 * freed at once), none of which DJL's ONNX engine exposes. DJL's engine is still started first
 * ({@code Engine.getEngine("OnnxRuntime")}) so that both share one native library and environment.
 *
 * <p>Internal: not part of the public API (docs/architecture.md). Users load through
 * {@code Model.load} with {@code LoadOptions.builder().optBackend("onnxruntime")} and tune it with
 * backend options; types here are public only because other billion-llm packages reach them.
 * {@code OnnxBackend} is public for {@link java.util.ServiceLoader}.
 */
package dev.billionllm.core.internal.backend.onnx;
