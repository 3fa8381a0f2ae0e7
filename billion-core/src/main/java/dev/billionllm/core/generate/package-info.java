/**
 * Text generation over any {@link dev.billionllm.core.lm.CausalLM}: the {@link
 * dev.billionllm.core.generate.Generator}, its immutable {@link
 * dev.billionllm.core.generate.GenerationConfig}, samplers and logits processors (written to match
 * transformers), stop conditions, streaming, batching and cancellation.
 *
 * <p>Decoding strategies plug in through {@link dev.billionllm.core.generate.DecodingStrategy}: a
 * strategy only picks tokens and hands them to each prompt's {@link
 * dev.billionllm.core.generate.Sequence}, which owns eos ids, stop strings, limits, streaming and
 * timings for every strategy. Plain decoding is {@code DecodingStrategy.plain()}; speculative
 * decoding (billion-speculative) drafts candidates with a {@link
 * dev.billionllm.core.generate.DraftProposer} and checks them with the {@link
 * dev.billionllm.core.generate.DraftVerifier}. The {@link
 * dev.billionllm.core.generate.ContinuousBatcher} runs many independent requests in one batch whose
 * rows join and leave between steps (servers), with the same {@code Sequence} per request.
 *
 * <p>Belongs here: everything that turns logits into tokens and tokens into text for a caller.
 * Does not belong here: model math or engine types (see {@code lm} and the backends), tokenizers
 * and chat templates (see {@code tokenize} and {@code chat}).
 */
package dev.billionllm.core.generate;
