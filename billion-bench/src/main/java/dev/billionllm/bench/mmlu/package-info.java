/**
 * MMLU as lm-evaluation-harness's default {@code mmlu} task scores it: prompts rendered from the
 * per-subject description and the first k dev questions, and the answer picked by the highest
 * log-likelihood of {@code " A"}..{@code " D"}. Holds the dataset readers (CSV, JSONL and a small parquet reader), the prompt renderer and
 * the evaluator; log-likelihood math lives in {@code dev.billionllm.bench.score}.
 */
package dev.billionllm.bench.mmlu;
