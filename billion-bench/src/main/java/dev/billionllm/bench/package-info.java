/**
 * Measuring instruments for causal language models: speed and memory ({@code speed}), MMLU accuracy
 * ({@code mmlu}), log-likelihood and perplexity ({@code score}) and reports with charts
 * ({@code report}). Everything is written against {@link dev.billionllm.core.lm.CausalLM} and
 * {@link dev.billionllm.core.tokenize.Tokenizer}, so any backend can be measured. Engine types appear only in
 * {@link dev.billionllm.bench.RandomWeights} (random full-size models on PyTorch) and in the version
 * probe of {@link dev.billionllm.bench.speed.Environment}. {@link dev.billionllm.bench.Benchmark} ties them together for the CLI and examples.
 */
package dev.billionllm.bench;
