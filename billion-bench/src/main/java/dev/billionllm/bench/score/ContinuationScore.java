package dev.billionllm.bench.score;

/**
 * The answer to one log-likelihood request, as lm-evaluation-harness reports it.
 *
 * @param logLikelihood sum of the continuation tokens' log-probabilities given everything before them
 * @param greedy whether each continuation token is the argmax at its position
 * @param tokens number of continuation tokens scored
 */
public record ContinuationScore(double logLikelihood, boolean greedy, int tokens) {}
