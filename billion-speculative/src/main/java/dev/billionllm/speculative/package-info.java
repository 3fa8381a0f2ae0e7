/**
 * Speculative decoding strategies for {@link dev.billionllm.core.generate.Generator}: a draft model
 * (any {@link dev.billionllm.core.lm.CausalLM}, same tokenizer or re-tokenized text), or prompt
 * lookup (n-grams copied from the context). Candidates are verified by core's {@link
 * dev.billionllm.core.generate.DraftVerifier}, so the output is exactly the target's (greedy) or
 * follows the target's distribution (sampling).
 *
 * <p>Belongs here: what proposes candidates (draft schedules, the compatibility check of two
 * tokenizers, n-gram lookup). Does not belong here: stop conditions, streaming, sampling
 * processors or the verification rule (all in {@code dev.billionllm.core.generate}).
 */
package dev.billionllm.speculative;
