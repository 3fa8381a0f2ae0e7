/**
 * Scoring text with a model: log-probabilities of continuations, computed the way
 * lm-evaluation-harness computes {@code loglikelihood} requests, and sliding-window perplexity as in
 * Hugging Face's recipe. Task logic (prompts, datasets) belongs in task packages such as
 * {@code mmlu}, not here.
 */
package dev.billionllm.bench.score;
