package dev.billionllm.bench.score;

/**
 * Perplexity of a token sequence under a model.
 *
 * @param perplexity {@code exp(meanNll)}
 * @param meanNll negative log-likelihood per scored token (nats)
 * @param scoredTokens tokens whose NLL was counted (every token but the first)
 * @param windows forward passes made
 * @param window longest input of one pass
 * @param stride how far each window starts after the previous one
 */
public record PerplexityResult(double perplexity, double meanNll, long scoredTokens, int windows, int window,
        int stride) {}
