package dev.billionllm.bench.speed;

import java.util.Arrays;

/** Mean, sample standard deviation and percentiles of measurements. */
public final class Stats {

    private Stats() {}

    public static double mean(double[] xs) {
        require(xs);
        double s = 0;
        for (double x : xs) {
            s += x;
        }
        return s / xs.length;
    }

    /** Sample standard deviation (n - 1), as llama-bench reports it; 0 for one value. */
    public static double stddev(double[] xs) {
        require(xs);
        if (xs.length < 2) {
            return 0;
        }
        double m = mean(xs);
        double s = 0;
        for (double x : xs) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (xs.length - 1));
    }

    /**
     * The {@code p}-th percentile (0..100) with linear interpolation between closest ranks, as
     * numpy's default {@code percentile} computes it.
     */
    public static double percentile(double[] xs, double p) {
        require(xs);
        if (p < 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
        }
        double[] s = xs.clone();
        Arrays.sort(s);
        double rank = p / 100 * (s.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return s[lo] + (s[hi] - s[lo]) * (rank - lo);
    }

    private static void require(double[] xs) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("no measurements");
        }
    }
}
