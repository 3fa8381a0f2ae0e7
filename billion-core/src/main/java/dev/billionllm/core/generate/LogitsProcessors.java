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
        return (logits, context) -> topK(logits, k);
    }

    /**
     * The top-k filter without sorting the vocabulary: a min-heap of the {@code k} largest logits
     * seen so far gives the k-th largest in O(n log k), where sorting every logit cost milliseconds
     * per token at 32k-128k ids (see {@link #topP(float[], double)}). The heap orders by {@link
     * Float#compare}, the order {@code Arrays.sort(float[])} uses, so the k-th value is the one the
     * sorted walk found.
     */
    static void topK(float[] logits, int k) {
        float[] heap = new float[Math.min(k, logits.length)]; // heap[0]: the smallest of the largest
        int finite = 0;
        for (float l : logits) {
            if (l == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (finite < heap.length) {
                siftUp(heap, finite, l);
            } else if (Float.compare(l, heap[0]) > 0) {
                siftDown(heap, l);
            }
            finite++;
        }
        if (k >= finite) {
            return;
        }
        float kth = heap[0];
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < kth) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Adds {@code v} to the min-heap {@code heap[0, size)}. */
    private static void siftUp(float[] heap, int size, float v) {
        int i = size;
        while (i > 0 && Float.compare(v, heap[(i - 1) / 2]) < 0) {
            heap[i] = heap[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        heap[i] = v;
    }

    /** Replaces the root of the full min-heap {@code heap} with {@code v}. */
    private static void siftDown(float[] heap, float v) {
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= heap.length) {
                break;
            }
            if (child + 1 < heap.length && Float.compare(heap[child + 1], heap[child]) < 0) {
                child++;
            }
            if (Float.compare(heap[child], v) >= 0) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }

    /**
     * Nucleus filter: walking the ids from least to most likely, removes each id while the
     * probability mass up to and including it is at most {@code 1 - p}; the most likely id always
     * stays. What remains is the smallest set of most likely ids whose mass reaches {@code p}.
     */
    public static LogitsProcessor topP(double p) {
        GenerationConfig.checkTopP(p);
        return (logits, context) -> topP(logits, p);
    }

    /**
     * The nucleus filter without sorting the vocabulary. Walking from the least likely id, an id is
     * removed while the mass up to it is at most {@code 1 - p}; equivalently, walking from the most
     * likely id, an id stays while the mass strictly above it is below {@code p}. The ids are put in
     * buckets by the binary exponent of their unnormalised probability {@code exp(l - max)} (bucket
     * b holds [2^-(b+1), 2^-b)): whole buckets above the one where the mass reaches {@code p} stay,
     * whole buckets below it go, and only that one bucket is sorted and walked. A sort of the whole
     * vocabulary took 2-12 ms per token at 32k-128k ids. Ties are ordered as {@link #sortKey}
     * orders them (logit, then id).
     */
    static void topP(float[] logits, double p) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            if (Float.isNaN(l) || l == Float.POSITIVE_INFINITY) {
                return; // no distribution to cut: keep every id, as the sorted walk does
            }
            max = Math.max(max, l);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            return;
        }
        final int buckets = 64;
        double[] e = new double[logits.length];
        byte[] bucketOf = new byte[logits.length];
        double[] mass = new double[buckets];
        double z = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                e[i] = Math.exp(logits[i] - (double) max);
                int b = Math.min(buckets - 1, -Math.getExponent(e[i])); // e <= 1, so the exponent is <= 0
                bucketOf[i] = (byte) b;
                mass[b] += e[i];
                z += e[i];
            }
        }
        double need = p * z;
        double above = 0;
        int cut = 0;
        while (cut < buckets - 1 && above + mass[cut] < need) {
            above += mass[cut++];
        }
        // Every id in a bucket before `cut` has less than `need` above it: it stays. Every id in a
        // bucket after it has at least `need` above it: it goes. Walk the bucket `cut` in order.
        int n = 0;
        long[] keys = new long[16];
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY && bucketOf[i] == cut) {
                if (n == keys.length) {
                    keys = Arrays.copyOf(keys, n * 2);
                }
                keys[n++] = sortKey(logits[i], i);
            }
        }
        Arrays.sort(keys, 0, n);
        int j = n - 1;
        while (j >= 0 && above < need) {
            above += e[(int) keys[j--]];
        }
        for (; j >= 0; j--) {
            logits[(int) keys[j]] = Float.NEGATIVE_INFINITY; // the rest of bucket `cut`
        }
        for (int i = 0; i < logits.length; i++) {
            if (bucketOf[i] > cut && logits[i] != Float.NEGATIVE_INFINITY) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Removes ids whose probability is below {@code p} times the most likely id's probability;
     * the most likely id always stays. The ratio of two probabilities is {@code exp} of the
     * difference of their logits, so no softmax over the vocabulary is needed.
     */
    public static LogitsProcessor minP(double p) {
        GenerationConfig.checkMinP(p);
        return (logits, context) -> {
            float max = Float.NEGATIVE_INFINITY;
            for (float l : logits) {
                if (Float.isNaN(l) || l == Float.POSITIVE_INFINITY) {
                    return;
                }
                max = Math.max(max, l);
            }
            if (max == Float.NEGATIVE_INFINITY) {
                return;
            }
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] != Float.NEGATIVE_INFINITY && Math.exp(logits[i] - (double) max) < p) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /**
     * A long that sorts like (logit, id): order-preserving float bits above the id. Sorting these
     * avoids boxing on a 128k-wide vocabulary.
     */
    static long sortKey(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        bits ^= (bits >> 31) & 0x7fffffff; // negative floats: flip so that ints sort like floats
        return ((long) bits << 32) | (id & 0xffffffffL);
    }
}
