package dev.billionllm.bench.score;

/**
 * Log-softmax over one logits vector, in double precision. The sum of exponentials is taken over
 * the full width, padded ids included, exactly as {@code torch.log_softmax} does over the model's
 * output in transformers and lm-evaluation-harness.
 */
public final class LogProbs {

    private LogProbs() {}

    /**
     * {@code log_softmax(values[offset .. offset + vocab))[id]}.
     *
     * @throws IllegalArgumentException if {@code id} is outside the vector
     */
    public static double logProb(float[] values, int offset, int vocab, int id) {
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException("token id " + id + " is outside the logits width " + vocab);
        }
        return values[offset + id] - logSumExp(values, offset, vocab);
    }

    /** {@code log(sum(exp(values[offset .. offset + vocab))))}, shifted by the maximum for stability. */
    public static double logSumExp(float[] values, int offset, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, values[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(values[offset + i] - max);
        }
        return max + Math.log(sum);
    }

    /** Index of the largest value (the first one on ties, like {@code argmax}). */
    public static int argmax(float[] values, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
