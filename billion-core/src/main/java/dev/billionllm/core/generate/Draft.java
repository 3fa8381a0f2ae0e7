package dev.billionllm.core.generate;

import java.util.Arrays;

/**
 * Candidate tokens from a {@link DraftProposer}, with the probabilities the draft drew them from
 * when it has any.
 *
 * <p>With probabilities, {@link DraftVerifier} keeps the target's distribution exactly with the
 * rejection rule of Leviathan et al. (2023): candidate {@code x} at position {@code i} is accepted
 * with probability {@code min(1, p(x) / q(x))}. Without them (prompt lookup), the candidate counts
 * as drawn with certainty, and the rule becomes: accept when the target's own draw equals it.
 *
 * @param tokens the candidates, in order
 * @param probabilities null, or for each candidate the draft's distribution {@code q} over its
 *     vocabulary at that position, after the same logits processors as the target's sampler
 *     (entries past the array count as 0)
 */
public record Draft(int[] tokens, double[][] probabilities) {

    public Draft {
        tokens = tokens.clone();
        if (probabilities != null && probabilities.length != tokens.length) {
            throw new IllegalArgumentException("a draft of " + tokens.length + " tokens needs as many distributions, got "
                    + probabilities.length);
        }
    }

    /** Candidates without probabilities. */
    public static Draft of(int... tokens) {
        return new Draft(tokens, null);
    }

    public int size() {
        return tokens.length;
    }

    public int token(int i) {
        return tokens[i];
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    public boolean hasProbabilities() {
        return probabilities != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Draft d && Arrays.equals(tokens, d.tokens) && Arrays.deepEquals(probabilities, d.probabilities);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens);
    }

    @Override
    public String toString() {
        return "Draft" + Arrays.toString(tokens) + (probabilities == null ? "" : " with probabilities");
    }
}
