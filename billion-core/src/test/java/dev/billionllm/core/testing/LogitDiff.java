package dev.billionllm.core.testing;

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
}
