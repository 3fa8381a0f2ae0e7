/**
 * Text to token ids and back, exactly as Hugging Face transformers does it for a model folder:
 * {@link dev.billionllm.core.tokenize.HfTokenizer} reads {@code tokenizer.json} (through DJL's
 * Rust tokenizers binding) and honours {@code tokenizer_config.json}; {@link
 * dev.billionllm.core.tokenize.StreamingDecoder} turns generated ids into complete UTF-8 text
 * deltas for streaming.
 *
 * <p>Chat formatting does not belong here (see {@code dev.billionllm.core.chat}), nor does any
 * model or sampling logic.
 */
package dev.billionllm.core.tokenize;
