/**
 * GPT-NeoX family (Pythia): checkpoint tensor names only. The fused, per-head interleaved
 * {@code query_key_value} is rearranged at load time by {@link dev.billionllm.core.model.Transformer};
 * parallel residual, GELU MLP and partial rotary are configuration.
 */
package dev.billionllm.core.model.gptneox;
