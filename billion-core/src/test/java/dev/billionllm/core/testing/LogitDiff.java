package dev.billionllm.core.testing;

import dev.billionllm.core.lm.Logits;

/** Largest absolute difference between logits, the measure every golden comparison uses. */
public final class LogitDiff {

    private LogitDiff() {}

    /**
     * Max |actual - expected| over {@code n} values from the given offsets; a NaN in {@code actual}
     * counts as infinitely far (so a broken graph never passes as "no difference").
     */
    public static double maxAbs(float[] actual, int actualOffset, float[] expected, int expectedOffset, int n) {
        double worst = 0;
        for (int i = 0; i < n; i++) {
            float a = actual[actualOffset + i];
            if (Float.isNaN(a)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, Math.abs(a - expected[expectedOffset + i]));
        }
        return worst;
    }

    /** Max |actual - expected| over two arrays of the same length. */
    public static double maxAbs(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException("lengths differ: " + actual.length + " vs " + expected.length);
        }
        return maxAbs(actual, 0, expected, 0, actual.length);
    }

    /**
     * Max |logits - expected| over the positions {@code mask} marks real (1) in a padded batch;
     * {@code expected} is {@code [rows, seq, vocab]} as transformers writes a batch's logits.
     */
    public static double maxAbsAtRealPositions(Logits logits, float[] expected, int[][] mask, int vocab) {
        int seq = mask[0].length;
        double worst = 0;
        for (int b = 0; b < mask.length; b++) {
            for (int t = 0; t < seq; t++) {
                if (mask[b][t] == 1) {
                    worst = Math.max(worst, maxAbs(logits.values(), logits.offset(b, t), expected,
                            (b * seq + t) * vocab, vocab));
                }
            }
        }
        return worst;
    }
}
