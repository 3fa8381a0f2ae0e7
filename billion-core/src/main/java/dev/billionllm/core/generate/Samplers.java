package dev.billionllm.core.generate;

import dev.billionllm.core.BillionException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Factory of {@link Sampler}s. {@link #forConfig} builds what a {@link GenerationConfig} asks for,
 * in transformers' order: padded ids masked, repetition penalty, then (when sampling) temperature,
 * top-k, top-p and min-p, then a draw from the softmax of what is left.
 *
 * <pre>{@code
 * Sampler s = Samplers.forConfig(config, lm.usableVocabSize(), 42L);
 * }</pre>
 */
public final class Samplers {

    private Samplers() {}

    /** The id with the largest logit; the lowest such id on ties, as {@code torch.argmax}. */
    public static Sampler greedy() {
        return (logits, context) -> argmax(logits);
    }

    /** Draws an id from the softmax of the logits with a {@link SplittableRandom} seeded with {@code seed}. */
    public static Sampler random(long seed) {
        return random(new SplittableRandom(seed));
    }

    /**
     * Draws an id from the softmax of the logits with {@code rng}. The sampler uses the generator
     * from one thread at a time; do not share {@code rng} with other samplers.
     */
    public static Sampler random(SplittableRandom rng) {
        return (logits, context) -> draw(logits, rng.nextDouble());
    }

    /** Runs {@code processors} in order on the logits, then asks {@code sampler}. */
    public static Sampler withProcessors(List<LogitsProcessor> processors, Sampler sampler) {
        List<LogitsProcessor> chain = List.copyOf(processors);
        return (logits, context) -> {
            for (LogitsProcessor p : chain) {
                p.process(logits, context);
            }
            return sampler.sample(logits, context);
        };
    }

    /**
     * The sampler a configuration asks for.
     *
     * @param config sampling settings (temperature 0 = greedy)
     * @param usableVocabSize ids at or past this are never produced ({@code lm.usableVocabSize()})
     * @param seed seed of the random draw (unused when greedy)
     */
    public static Sampler forConfig(GenerationConfig config, int usableVocabSize, long seed) {
        return withProcessors(processorsFor(config, usableVocabSize),
                config.isGreedy() ? greedy() : random(seed));
    }

    /** The processors {@link #forConfig} runs before picking, in order. */
    public static List<LogitsProcessor> processorsFor(GenerationConfig config, int usableVocabSize) {
        List<LogitsProcessor> chain = new ArrayList<>();
        chain.add(Samplers::requireNoNaN);
        // padded ids first, so that no later step (top-k counting, top-p mass) sees them
        chain.add(LogitsProcessors.maskFrom(usableVocabSize));
        if (config.repetitionPenalty() != 1.0) {
            chain.add(LogitsProcessors.repetitionPenalty(config.repetitionPenalty()));
        }
        if (!config.isGreedy()) {
            if (config.temperature() != 1.0) {
                chain.add(LogitsProcessors.temperature(config.temperature()));
            }
            if (config.topK() > 0) {
                chain.add(LogitsProcessors.topK(config.topK()));
            }
            if (config.topP() < 1.0) {
                chain.add(LogitsProcessors.topP(config.topP()));
            }
            if (config.minP() > 0) {
                chain.add(LogitsProcessors.minP(config.minP()));
            }
        }
        return chain;
    }

    /**
     * The probabilities a random sampler draws from: the softmax of {@code logits} in double
     * precision (negative infinity gives exactly 0).
     */
    public static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new BillionException("every logit is -infinity: no token can be sampled");
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The index of the largest logit; the lowest such index on ties, as {@code torch.argmax}. */
    public static int argmax(float[] logits) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > bestValue) {
                bestValue = logits[i];
                best = i;
            }
        }
        if (best < 0) {
            throw new BillionException("every logit is -infinity or NaN: no token can be picked");
        }
        return best;
    }

    /** Inverse-CDF draw: the first id whose cumulative probability exceeds {@code u} in [0, 1). */
    static int draw(float[] logits, double u) {
        return drawFrom(softmax(logits), u);
    }

    /**
     * Inverse-CDF draw from probabilities that sum to 1 (up to rounding): the first id whose
     * cumulative probability exceeds {@code u} in [0, 1); ids of probability 0 are never drawn.
     */
    public static int drawFrom(double[] p, double u) {
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cumulative += p[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u within rounding of 1
    }

    private static void requireNoNaN(float[] logits, int[] context) {
        for (int i = 0; i < logits.length; i++) {
            if (Float.isNaN(logits[i])) {
                throw new BillionException("the model produced NaN logits (first at id " + i
                        + "); check the weights' dtype conversion and the inputs");
            }
        }
    }
}
