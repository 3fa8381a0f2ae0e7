package dev.billionllm.core.generate;

/**
 * Changes one position's logits in place before a token is picked: a penalty, a temperature, or a
 * filter that sets excluded ids to negative infinity. {@link LogitsProcessors} makes the standard
 * ones; {@link Samplers#withProcessors} chains them in front of a sampler.
 */
@FunctionalInterface
public interface LogitsProcessor {

    /**
     * Processes {@code logits} in place.
     *
     * @param logits one position's logits
     * @param context the ids so far, prompt and generated
     */
    void process(float[] logits, int[] context);
}
