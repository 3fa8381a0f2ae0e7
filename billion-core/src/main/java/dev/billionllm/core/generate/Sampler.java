package dev.billionllm.core.generate;

/**
 * Picks the next token from one position's logits. A sampler owns its random source (injected
 * when it is made), so one sampler serves one generation; {@link Samplers} makes them.
 *
 * <pre>{@code
 * Sampler s = Samplers.withProcessors(
 *         List.of(LogitsProcessors.temperature(0.7), LogitsProcessors.topP(0.9)),
 *         Samplers.random(42));
 * int next = s.sample(logits, idsSoFar);
 * }</pre>
 */
@FunctionalInterface
public interface Sampler {

    /**
     * Picks the next id.
     *
     * @param logits one position's logits ({@code config.vocabSize} wide); the sampler may change
     *     them in place
     * @param context the ids so far, prompt and generated (the repetition penalty reads them)
     * @return an index into {@code logits}
     */
    int sample(float[] logits, int[] context);
}
