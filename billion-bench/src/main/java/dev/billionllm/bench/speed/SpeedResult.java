package dev.billionllm.bench.speed;

/**
 * One speed test, over its timed repetitions.
 *
 * @param test "pp128" or "tg128"
 * @param tokens tokens processed per repetition
 * @param repetitions timed runs
 * @param tokensPerSecond mean over repetitions of tokens / seconds
 * @param tokensPerSecondStddev sample standard deviation of that (0 with one repetition)
 * @param millisMean mean wall time of one repetition
 * @param timeToFirstTokenMillis mean time until the first next-token logits: the prompt's forward
 *     pass for pp, the first decode step for tg
 * @param tokenMillisP50 median time per token: per decode step for tg; prompt time / tokens for pp
 * @param tokenMillisP90 90th percentile of the same
 * @param kvCacheBytes bytes of the cache the test used (its capacity)
 */
public record SpeedResult(String test, int tokens, int repetitions, double tokensPerSecond,
        double tokensPerSecondStddev, double millisMean, double timeToFirstTokenMillis, double tokenMillisP50,
        double tokenMillisP90, long kvCacheBytes) {

    /** True for a token-generation test. */
    public boolean isGeneration() {
        return test.startsWith("tg");
    }
}
