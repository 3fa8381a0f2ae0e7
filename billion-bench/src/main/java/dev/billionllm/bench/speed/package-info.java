/**
 * Speed and memory, llama-bench style: prompt-processing ({@code ppN}) and token-generation
 * ({@code tgN}) tests with warm-up and repetitions, time to first token, per-token latency
 * percentiles, peak RSS and the environment the numbers came from. Written against
 * {@link dev.billionllm.core.lm.CausalLM} only, so every backend is measured the same way; engine
 * versions are read here only to label reports.
 */
package dev.billionllm.bench.speed;
