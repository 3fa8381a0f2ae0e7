/**
 * The language-model contract every backend implements: {@link dev.billionllm.core.lm.CausalLM},
 * its {@link dev.billionllm.core.lm.KvCache}, inputs ({@link dev.billionllm.core.lm.TokenBatch})
 * and outputs ({@link dev.billionllm.core.lm.Logits}), plus
 * {@link dev.billionllm.core.lm.AbstractKvCache}, the cache bookkeeping and argument checks every
 * implementation shares. No engine types appear here.
 */
package dev.billionllm.core.lm;
