/**
 * What each architecture is, written once in plain Java (no engine types), and read by both the
 * PyTorch model ({@code core.model}) and the ONNX exporter ({@code core.export}).
 *
 * <p>A newcomer adding a family starts here. The pieces:
 * <ul>
 *   <li>{@link dev.billionllm.core.arch.Architecture}: one family as data. How config.json is read
 *       (which key holds each switch and its default: q/k/v bias, qk-norm, parallel residual,
 *       rotary fraction, norm epsilon, activation), the fixed shape of the family (RMSNorm or
 *       LayerNorm, gated or plain MLP, separate or per-head fused q/k/v, whether a parallel block
 *       shares its input norm with the MLP) and its {@link dev.billionllm.core.arch.TensorNames}.
 *       The built-in families are rows of the table in {@link dev.billionllm.core.arch.Architectures};
 *       families differ only by these values, never by code.
 *   <li>{@link dev.billionllm.core.arch.TensorNames}: the checkpoint key templates
 *       ({@code "model.layers.{layer}.self_attn.q_proj"}). The only place key strings appear.
 *   <li>{@link dev.billionllm.core.arch.ParameterLayout}: a resolved model (a
 *       {@link dev.billionllm.core.config.ModelConfig}) as the list of
 *       {@link dev.billionllm.core.arch.Parameter}s both backends load: each with its final shape,
 *       the checkpoint tensors it is assembled from and how (q/k/v and gate/up concatenated as
 *       rows; GPT-NeoX's per-head {@code [q_h; k_h; v_h]} regrouped to {@code [q; k; v]}; qk-norm
 *       scales stacked). Parts keep their Hugging Face projection names ({@code q_proj},
 *       {@code query_key_value}) and {@link dev.billionllm.core.arch.Parameter#sourceRows()} maps
 *       every fused row back to its checkpoint row, which is what an adapter (LoRA) needs to put a
 *       delta on the right rows.
 *   <li>{@link dev.billionllm.core.arch.CheckpointReader}: the one reader from safetensors to those
 *       parameters as {@code float[]}, with the presence, dtype and shape checks and their
 *       messages.
 *   <li>{@link dev.billionllm.core.arch.RopeSchedule}: inverse frequencies per {@code rope_type}
 *       (default, linear, llama3) and the angle rule, in transformers' float32 arithmetic.
 *   <li>{@link dev.billionllm.core.arch.Numerics}: the constants both graphs must agree on (the
 *       additive mask value, tanh-GELU's coefficients).
 *   <li>{@link dev.billionllm.core.arch.ArchitectureDeclaration}: an unknown {@code model_type}
 *       declared as a built-in family plus switches, from a spec file or from config.json itself,
 *       with an error that names the feature when a model needs something no switch expresses
 *       (sliding-window attention, mixture of experts).
 * </ul>
 *
 * <p>Belongs here: facts about architectures and checkpoints that hold for every engine. Does not
 * belong here: anything that allocates engine memory or builds a graph (that is {@code core.model}
 * and {@code core.export}), and the numbers of one model (that is
 * {@link dev.billionllm.core.config.ModelConfig}, parsed from config.json by the rules described
 * here).
 */
package dev.billionllm.core.arch;
