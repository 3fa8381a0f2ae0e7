/**
 * Model configuration: {@link dev.billionllm.core.config.ModelConfig} (the architecture, parsed
 * from config.json by {@link dev.billionllm.core.config.ModelConfigParser} for transformers 4 and 5
 * key styles) and {@link dev.billionllm.core.config.GenerationDefaults} (generation_config.json,
 * parsed by {@link dev.billionllm.core.config.GenerationConfigParser}).
 *
 * <p>Only normalised, immutable descriptions live here; weights, tokenizers and the runtime
 * generation settings belong to their own packages.
 */
package dev.billionllm.core.config;
