package dev.billionllm.core.generate;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link DecodingStrategy} did in one generation (summed over a batch's rows).
 *
 * @param strategy the strategy's {@link DecodingStrategy#name()}
 * @param rounds target forward passes after the prefill (plain decoding: one per token after the
 *     first; speculative decoding: one verification per round)
 * @param draftedTokens candidate tokens proposed (0 for plain decoding)
 * @param acceptedTokens candidates the target accepted
 * @param draftTime time spent proposing candidates (draft forwards, n-gram lookup)
 * @param targetTime time spent in the target's forward passes, the prefill included
 */
public record DecodingMetrics(String strategy, int rounds, long draftedTokens, long acceptedTokens, Duration draftTime,
        Duration targetTime) {

    public DecodingMetrics {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(draftTime, "draftTime");
        Objects.requireNonNull(targetTime, "targetTime");
        if (rounds < 0 || draftedTokens < 0 || acceptedTokens < 0 || acceptedTokens > draftedTokens) {
            throw new IllegalArgumentException("bad counts: rounds " + rounds + ", drafted " + draftedTokens
                    + ", accepted " + acceptedTokens);
        }
    }

    /** Metrics of a strategy that reported none. */
    public static DecodingMetrics none(String strategy) {
        return new DecodingMetrics(strategy, 0, 0, 0, Duration.ZERO, Duration.ZERO);
    }

    /** Metrics of plain decoding: {@code rounds} single-token steps, all their time forward passes. */
    public static DecodingMetrics plain(int rounds, long forwardNanos) {
        return new DecodingMetrics("plain", rounds, 0, 0, Duration.ZERO, Duration.ofNanos(forwardNanos));
    }

    /** Accepted / drafted candidates (0 when nothing was drafted). */
    public double acceptanceRate() {
        return draftedTokens == 0 ? 0 : (double) acceptedTokens / draftedTokens;
    }

    /**
     * Tokens each round produced on average: accepted candidates plus the target's own token
     * (1.0 for plain decoding; the speed-up's upper bound when drafting were free).
     */
    public double meanTokensPerRound() {
        return rounds == 0 ? 0 : (double) (acceptedTokens + rounds) / rounds;
    }

    /** Mean accepted candidates per round. */
    public double meanAcceptedLength() {
        return rounds == 0 ? 0 : (double) acceptedTokens / rounds;
    }
}
