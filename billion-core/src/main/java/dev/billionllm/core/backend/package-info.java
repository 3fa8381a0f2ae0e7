/**
 * The backend SPI: {@link dev.billionllm.core.backend.Backend} turns a model folder into a
 * {@link dev.billionllm.core.lm.CausalLM}. Engine code lives in sub-packages ({@code pytorch},
 * {@code onnx}); nothing outside them touches engine types.
 */
package dev.billionllm.core.backend;
