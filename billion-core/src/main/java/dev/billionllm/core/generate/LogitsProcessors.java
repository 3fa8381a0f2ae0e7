package dev.billionllm.core.generate;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The standard {@link LogitsProcessor}s, each written to match its transformers counterpart
 * ({@code RepetitionPenaltyLogitsProcessor}, {@code TemperatureLogitsWarper}, {@code
 * TopKLogitsWarper}, {@code TopPLogitsWarper}, {@code MinPLogitsWarper}, each keeping at least one
 * token). Filters set excluded ids to negative infinity, so later steps and the final softmax
 * ignore them.
 */
public final class LogitsProcessors {

    private LogitsProcessors() {}

    /**
     * Excludes every id at or past {@code usableVocabSize}: checkpoints pad the logits past the
     * tokenizer, and those ids decode to nothing.
     */
    public static LogitsProcessor maskFrom(int usableVocabSize) {
        if (usableVocabSize < 1) {
            throw new IllegalArgumentException("usableVocabSize must be >= 1, got " + usableVocabSize);
        }
        return (logits, context) -> {
            if (usableVocabSize < logits.length) {
                Arrays.fill(logits, usableVocabSize, logits.length, Float.NEGATIVE_INFINITY);
            }
        };
    }

    /**
     * transformers' repetition penalty: the logit of each id seen in {@code context} (counted once,
     * however often it appears) is divided by {@code penalty} when positive and multiplied by it
     * when negative, so a penalty above 1 always makes a seen token less likely.
     */
    public static LogitsProcessor repetitionPenalty(double penalty) {
        GenerationConfig.checkRepetitionPenalty(penalty);
        float p = (float) penalty;
        return (logits, context) -> {
            BitSet seen = new BitSet(logits.length);
            for (int id : context) {
                if (id >= 0 && id < logits.length && !seen.get(id)) {
                    seen.set(id);
                    float l = logits[id];
                    logits[id] = l < 0 ? l * p : l / p;
                }
            }
        };
    }

    /** Divides every logit by {@code temperature} (&gt; 0; greedy decoding is a sampler, not a temperature). */
    public static LogitsProcessor temperature(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
        float t = (float) temperature;
        return (logits, context) -> {
            for (int i = 0; i < logits.length; i++) {
                logits[i] /= t;
            }
        };
    }

    /**
     * Keeps the {@code k} largest logits and every logit tied with the k-th (transformers removes
     * only logits strictly below the k-th value).
     */
    public static LogitsProcessor topK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("top-k must be >= 1, got " + k);
        }
        return (logits, context) -> {
            float[] finite = finiteValues(logits);
            if (k >= finite.length) {
                return;
            }
            Arrays.sort(finite);
            float kth = finite[finite.length - k];
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] < kth) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /**
     * Nucleus filter: walking the ids from least to most likely, removes each id while the
     * probability mass up to and including it is at most {@code 1 - p}; the most likely id always
     * stays. What remains is the smallest set of most likely ids whose mass reaches {@code p}.
     */
    public static LogitsProcessor topP(double p) {
        GenerationConfig.checkTopP(p);
        return (logits, context) -> {
            int[] order = ascendingFinite(logits);
            double[] probs = softmaxOf(logits, order);
            double cumulative = 0;
            // the last (most likely) id is never removed
            for (int j = 0; j < order.length - 1; j++) {
                cumulative += probs[j];
                if (cumulative <= 1 - p) {
                    logits[order[j]] = Float.NEGATIVE_INFINITY;
                } else {
                    break;
                }
            }
        };
    }

    /**
     * Removes ids whose probability is below {@code p} times the most likely id's probability;
     * the most likely id always stays.
     */
    public static LogitsProcessor minP(double p) {
        GenerationConfig.checkMinP(p);
        return (logits, context) -> {
            int[] order = ascendingFinite(logits);
            if (order.length == 0) {
                return;
            }
            double[] probs = softmaxOf(logits, order);
            double threshold = p * probs[order.length - 1];
            for (int j = 0; j < order.length - 1; j++) {
                if (probs[j] < threshold) {
                    logits[order[j]] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    private static float[] finiteValues(float[] logits) {
        float[] out = new float[logits.length];
        int n = 0;
        for (float l : logits) {
            if (l != Float.NEGATIVE_INFINITY) {
                out[n++] = l;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Indices of the logits above negative infinity, sorted by logit ascending and then by index.
     * Sorting packed longs (order-preserving float bits, then the index) avoids boxing on a
     * 128k-wide vocabulary.
     */
    static int[] ascendingFinite(float[] logits) {
        long[] keys = new long[logits.length];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            float l = logits[i];
            if (l != Float.NEGATIVE_INFINITY) {
                int bits = Float.floatToIntBits(l);
                bits ^= (bits >> 31) & 0x7fffffff; // negative floats: flip so that ints sort like floats
                keys[n++] = ((long) bits << 32) | (i & 0xffffffffL);
            }
        }
        keys = Arrays.copyOf(keys, n);
        Arrays.sort(keys);
        int[] order = new int[n];
        for (int j = 0; j < n; j++) {
            order[j] = (int) keys[j];
        }
        return order;
    }

    /** Softmax over {@code logits[order[j]]} in double precision, in the order given (max last). */
    private static double[] softmaxOf(float[] logits, int[] order) {
        double[] probs = new double[order.length];
        if (order.length == 0) {
            return probs;
        }
        double max = logits[order[order.length - 1]];
        double sum = 0;
        for (int j = 0; j < order.length; j++) {
            probs[j] = Math.exp(logits[order[j]] - max);
            sum += probs[j];
        }
        for (int j = 0; j < order.length; j++) {
            probs[j] /= sum;
        }
        return probs;
    }
}
