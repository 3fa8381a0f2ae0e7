/**
 * Chat prompt formatting: {@link dev.billionllm.core.chat.JinjaChatTemplate} runs a model's own Jinja
 * chat template (from {@code chat_template.jinja} or {@code tokenizer_config.json}) the way
 * transformers' {@code apply_chat_template} does; {@link dev.billionllm.core.chat.PlainChatTemplate}
 * is the documented fallback for models without one; {@link dev.billionllm.core.chat.ChatTemplates}
 * picks between them for a model folder.
 *
 * <p>A template comes with a downloaded model, so it is rendered as untrusted code: {@code
 * TemplateSandbox} allows only Jinja's vocabulary and no template loading, and {@link
 * dev.billionllm.core.chat.TemplateLimits} bounds time, size, loop iterations, nesting and recursion
 * (see docs/security.md).
 *
 * <p>Tokenization belongs in {@code dev.billionllm.core.tokenize}: a rendered prompt is encoded with
 * {@code tokenizer.encode(prompt, false)}, because templates write their own special tokens.
 */
package dev.billionllm.core.chat;
