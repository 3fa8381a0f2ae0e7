package dev.billionllm.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.BillionException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Each filter against hand-computed distributions: the empirical frequencies of many seeded draws
 * must match the expected filtered softmax within 5 standard errors, every excluded id must never
 * be drawn, and the boundary id must be drawn (an off-by-one in a filter breaks one of these).
 */
class SamplersTest {
    private static final int DRAWS = 100_000;

    /** ln of [0.5, 0.25, 0.15, 0.1]: softmax gives those probabilities back. */
    private static final float[] FOUR = logs(0.5, 0.25, 0.15, 0.1);

    private static float[] logs(double... p) {
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            l[i] = (float) Math.log(p[i]);
        }
        return l;
    }

    private static double[] frequencies(GenerationConfig config, float[] logits, int usable, int[] context) {
        Sampler s = Samplers.forConfig(config, usable, 1234L);
        int[] counts = new int[logits.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[s.sample(logits.clone(), context)]++;
        }
        return Arrays.stream(counts).mapToDouble(c -> c / (double) DRAWS).toArray();
    }

    private static GenerationConfig.Builder sampling() {
        return GenerationConfig.builder().optTemperature(1.0);
    }

    /** Every frequency within 5 standard errors of its expectation; expected zeros exactly zero. */
    private static void assertMatches(double[] freq, double... expected) {
        assertThat(freq).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == 0) {
                assertThat(freq[i]).as("frequency of excluded id %d", i).isEqualTo(0.0);
            } else {
                double se = Math.sqrt(expected[i] * (1 - expected[i]) / DRAWS);
                assertThat(freq[i]).as("frequency of id %d", i).isCloseTo(expected[i],
                        org.assertj.core.data.Offset.offset(5 * se));
            }
        }
    }

    @Test
    void plainSamplingMatchesSoftmax() {
        assertMatches(frequencies(sampling().build(), FOUR, 4, new int[0]), 0.5, 0.25, 0.15, 0.1);
    }

    @Test
    void temperatureSharpensTheSoftmax() {
        // p^(1/0.5) = p^2, renormalised
        double z = 0.25 + 0.0625 + 0.0225 + 0.01;
        assertMatches(frequencies(sampling().optTemperature(0.5).build(), FOUR, 4, new int[0]),
                0.25 / z, 0.0625 / z, 0.0225 / z, 0.01 / z);
    }

    @Test
    void temperatureAboveOneFlattens() {
        // p^(1/2) = sqrt(p), renormalised
        double[] s = {Math.sqrt(0.5), Math.sqrt(0.25), Math.sqrt(0.15), Math.sqrt(0.1)};
        double z = s[0] + s[1] + s[2] + s[3];
        assertMatches(frequencies(sampling().optTemperature(2.0).build(), FOUR, 4, new int[0]),
                s[0] / z, s[1] / z, s[2] / z, s[3] / z);
    }

    @Test
    void topKKeepsExactlyKIds() {
        // k = 3: id 2 (third) is the boundary and stays, id 3 goes
        assertMatches(frequencies(sampling().optTopK(3).build(), FOUR, 4, new int[0]),
                0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0);
        assertMatches(frequencies(sampling().optTopK(1).build(), FOUR, 4, new int[0]), 1, 0, 0, 0);
    }

    @Test
    void topKKeepsTiesAtTheKthLogit() {
        // transformers removes only logits strictly below the k-th: ids 1 and 2 tie for second
        float[] logits = {2f, 1f, 1f, 0f};
        double e2 = Math.exp(2);
        double e1 = Math.exp(1);
        double z = e2 + 2 * e1;
        assertMatches(frequencies(sampling().optTopK(2).build(), logits, 4, new int[0]), e2 / z, e1 / z, e1 / z, 0);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // top-p 0.8: {0.5, 0.25} has 0.75 < 0.8, so the boundary id 2 (0.15) must stay; id 3 goes
        assertMatches(frequencies(sampling().optTopP(0.8).build(), FOUR, 4, new int[0]),
                0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0);
        // top-p 0.7: {0.5, 0.25} reaches it; ids 2 and 3 go
        assertMatches(frequencies(sampling().optTopP(0.7).build(), FOUR, 4, new int[0]),
                0.5 / 0.75, 0.25 / 0.75, 0, 0);
        // a tiny top-p keeps only the most likely id
        assertMatches(frequencies(sampling().optTopP(0.01).build(), FOUR, 4, new int[0]), 1, 0, 0, 0);
    }

    @Test
    void minPDropsIdsBelowAFractionOfTheTop() {
        // threshold 0.25 * 0.5 = 0.125: 0.15 (boundary) stays, 0.1 goes
        assertMatches(frequencies(sampling().optMinP(0.25).build(), FOUR, 4, new int[0]),
                0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0);
        // threshold 0.55 * 0.5 = 0.275: 0.25 goes too
        assertMatches(frequencies(sampling().optMinP(0.55).build(), FOUR, 4, new int[0]), 1, 0, 0, 0);
        // an id tied with the top one is not below the threshold and stays
        assertMatches(frequencies(sampling().optMinP(0.9).build(), new float[] {1f, 1f, 0f}, 3, new int[0]),
                0.5, 0.5, 0);
    }

    @Test
    void filtersRunInTransformersOrder() {
        // temperature 0.5 first gives [0.7246, 0.1812, 0.0652, 0.0290]; top-p 0.8 then keeps {0, 1}
        // (applied before the temperature it would keep {0, 1, 2})
        GenerationConfig c = sampling().optTemperature(0.5).optTopP(0.8).build();
        assertMatches(frequencies(c, FOUR, 4, new int[0]), 0.8, 0.2, 0, 0);
        // top-k 3 then top-p 0.6 of the renormalised [0.556, 0.278, 0.167]: keeps {0, 1}
        GenerationConfig k = sampling().optTopK(3).optTopP(0.6).build();
        assertMatches(frequencies(k, FOUR, 4, new int[0]), 0.5 / 0.75, 0.25 / 0.75, 0, 0);
    }

    @Test
    void paddedIdsAreNeverProduced() {
        float[] logits = {0f, 0f, 0f, 10f, 10f}; // ids 3 and 4 are padding and the most likely
        double[] freq = frequencies(sampling().build(), logits, 3, new int[0]);
        assertMatches(freq, 1 / 3.0, 1 / 3.0, 1 / 3.0, 0, 0);
        assertThat(Samplers.forConfig(GenerationConfig.defaults(), 3, 0).sample(logits.clone(), new int[0]))
                .isEqualTo(0);
    }

    @Test
    void repetitionPenaltyWorkedExample() {
        // seen ids 0 and 1 (1 twice: penalised once); positive divided, negative multiplied
        float[] logits = {2.0f, -1.0f, 0.5f, 3.0f};
        LogitsProcessors.repetitionPenalty(2.0).process(logits, new int[] {0, 1, 1});
        assertThat(logits).containsExactly(1.0f, -2.0f, 0.5f, 3.0f);

        // greedy picks id 0 without the penalty and id 1 with it (3.0 / 2 = 1.5 < 2.0)
        float[] l = {3.0f, 2.0f};
        assertThat(Samplers.forConfig(GenerationConfig.defaults(), 2, 0).sample(l.clone(), new int[] {0})).isEqualTo(0);
        GenerationConfig penalised = GenerationConfig.builder().optRepetitionPenalty(2.0).build();
        assertThat(Samplers.forConfig(penalised, 2, 0).sample(l.clone(), new int[] {0})).isEqualTo(1);

        // a penalty below 1 favours seen ids
        float[] f = {1.0f, 1.5f};
        GenerationConfig favour = GenerationConfig.builder().optRepetitionPenalty(0.5).build();
        assertThat(Samplers.forConfig(favour, 2, 0).sample(f, new int[] {0})).isEqualTo(0);
        assertThat(f[0]).isEqualTo(2.0f);
    }

    @Test
    void sameSeedSameTokensDifferentSeedsDiffer() {
        float[] uniform = new float[50];
        GenerationConfig c = sampling().build();
        int[] a = draws(Samplers.forConfig(c, 50, 7L), uniform);
        int[] b = draws(Samplers.forConfig(c, 50, 7L), uniform);
        int[] d = draws(Samplers.forConfig(c, 50, 8L), uniform);
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(d);
    }

    private static int[] draws(Sampler s, float[] logits) {
        int[] out = new int[40];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.sample(logits.clone(), new int[0]);
        }
        return out;
    }

    @Test
    void greedyTakesTheFirstMaximum() {
        assertThat(Samplers.greedy().sample(new float[] {1f, 3f, 3f, 2f}, new int[0])).isEqualTo(1);
    }

    @Test
    void nanLogitsFailClearly() {
        Sampler s = Samplers.forConfig(GenerationConfig.defaults(), 3, 0);
        assertThatThrownBy(() -> s.sample(new float[] {0f, Float.NaN, 1f}, new int[0]))
                .isInstanceOf(BillionException.class).hasMessageContaining("NaN").hasMessageContaining("id 1");
    }

    @Test
    void processorsRejectBadArguments() {
        assertThatThrownBy(() -> LogitsProcessors.topK(0)).hasMessageContaining(">= 1");
        assertThatThrownBy(() -> LogitsProcessors.topP(0)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> LogitsProcessors.minP(1.5)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> LogitsProcessors.temperature(0)).hasMessageContaining("> 0");
        assertThatThrownBy(() -> LogitsProcessors.repetitionPenalty(-1)).hasMessageContaining("> 0");
    }

    /** The sorted walk top-p and min-p used before (a sort of the whole vocabulary): the oracle. */
    private static void sortedTopP(float[] logits, double p) {
        int[] order = ascending(logits);
        double[] probs = softmax(logits, order);
        double cumulative = 0;
        for (int j = 0; j < order.length - 1; j++) {
            cumulative += probs[j];
            if (cumulative <= 1 - p) {
                logits[order[j]] = Float.NEGATIVE_INFINITY;
            } else {
                break;
            }
        }
    }

    private static void sortedMinP(float[] logits, double p) {
        int[] order = ascending(logits);
        if (order.length == 0) {
            return;
        }
        double[] probs = softmax(logits, order);
        double threshold = p * probs[order.length - 1];
        for (int j = 0; j < order.length - 1; j++) {
            if (probs[j] < threshold) {
                logits[order[j]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private static int[] ascending(float[] logits) {
        return java.util.stream.IntStream.range(0, logits.length).filter(i -> logits[i] != Float.NEGATIVE_INFINITY)
                .boxed().sorted(java.util.Comparator.<Integer>comparingDouble(i -> logits[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    private static double[] softmax(float[] logits, int[] order) {
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

    /**
     * Trial {@code trial}'s logits: peaked or flat (the scale cycles), every third trial rounded to
     * integers (many ties), about a tenth already excluded, from 1 to 60 ids (3000 every tenth trial).
     */
    private static float[] randomLogits(java.util.Random random, int trial) {
        int vocab = 1 + random.nextInt(trial % 10 == 0 ? 3000 : 60);
        double scale = new double[] {0.01, 0.3, 1, 3, 10, 40}[trial % 6];
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            double v = random.nextGaussian() * scale;
            logits[i] = trial % 3 == 0 ? Math.round(v) : (float) v;
            if (random.nextInt(10) == 0) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
        return logits;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0.0137, 0.1371, 0.5137, 0.9137, 0.9513, 0.99913,
        0.9999999137})
    void topPAndMinPRemoveExactlyWhatTheSortedWalkRemoves(double p) {
        // Peaked, flat and tied distributions, with ids already excluded, from 1 to 3000 ids: the
        // filters that no longer sort the vocabulary must remove the same ids as the walk that did.
        // (p is not a multiple of 1/k: with k tied ids a round p puts the cut exactly on a step of the
        // cumulative mass, where either walk's answer is a last-bit rounding of its own sum, as
        // torch's float32 cumsum is of its.)
        java.util.Random random = new java.util.Random(Double.hashCode(p));
        for (int trial = 0; trial < 300; trial++) {
            float[] logits = randomLogits(random, trial);
            float[] fast = logits.clone();
            float[] sorted = logits.clone();
            LogitsProcessors.topP(p).process(fast, new int[0]);
            sortedTopP(sorted, p);
            assertThat(fast).as("top-p %s, trial %d", p, trial).containsExactly(sorted);
            fast = logits.clone();
            sorted = logits.clone();
            LogitsProcessors.minP(p).process(fast, new int[0]);
            sortedMinP(sorted, p);
            assertThat(fast).as("min-p %s, trial %d", p, trial).containsExactly(sorted);
        }
    }

    /** The sorted top-k used before (a sort of every finite logit): the oracle. */
    private static void sortedTopK(float[] logits, int k) {
        float[] finite = new float[logits.length];
        int n = 0;
        for (float l : logits) {
            if (l != Float.NEGATIVE_INFINITY) {
                finite[n++] = l;
            }
        }
        if (k >= n) {
            return;
        }
        finite = Arrays.copyOf(finite, n);
        Arrays.sort(finite);
        float kth = finite[n - k];
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < kth) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 7, 40, 50, 1000, Integer.MAX_VALUE})
    void topKRemovesExactlyWhatTheSortRemoves(int k) {
        // Peaked, flat and tied distributions (signed zeros and +infinity too), with ids already
        // excluded, from 1 to 3000 ids: the heap must find the k-th value the sort found.
        java.util.Random random = new java.util.Random(k);
        for (int trial = 0; trial < 300; trial++) {
            float[] logits = randomLogits(random, trial);
            for (int i = 0; i < logits.length; i++) {
                int special = random.nextInt(30);
                if (special == 0) {
                    logits[i] = -0.0f;
                } else if (special == 1 && trial % 7 == 0) {
                    logits[i] = Float.POSITIVE_INFINITY;
                }
            }
            float[] heap = logits.clone();
            float[] sorted = logits.clone();
            LogitsProcessors.topK(k).process(heap, new int[0]);
            sortedTopK(sorted, k);
            assertThat(heap).as("top-k %d, trial %d", k, trial).containsExactly(sorted);
        }
    }
}
