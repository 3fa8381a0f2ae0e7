package dev.billionllm.core.generate;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.List;
import java.util.Objects;

/**
 * How the next tokens are found: one forward pass per token ({@link #plain()}), or draft and verify
 * (billion-speculative). A strategy only picks tokens; the {@link Sequence}s it is given own every
 * stop condition, the streaming of text and the timings, so all strategies end and stream the same
 * way. {@link Generator} runs the strategy its builder selects.
 *
 * <pre>{@code
 * Generator g = Generator.builder(lm).optTokenizer(tok).optDecodingStrategy(DecodingStrategy.plain()).build();
 * }</pre>
 *
 * <p>A strategy is immutable and may serve several generations at once; each {@link #start} makes
 * the per-generation state.
 */
public interface DecodingStrategy {

    /** A short name for results and logs ("plain", "draft-model", "prompt-lookup"). */
    String name();

    /**
     * Starts one generation. The caller closes the returned decoding.
     *
     * @throws IllegalArgumentException if this strategy cannot serve the request (say, a batch)
     */
    Decoding start(Request request);

    /** One forward pass per token for every row of a batch: what {@link Generator} does by default. */
    static DecodingStrategy plain() {
        return PlainDecoding.INSTANCE;
    }

    /**
     * What a strategy decodes for.
     *
     * @param lm the model whose output the generation is (the target)
     * @param sequences one per prompt, in batch order
     * @param config the generation's configuration (sampling settings for the target)
     * @param padTokenId the id that fills left padding of batched prompts
     * @param tokenizer the target's tokenizer, or null when the generator has none
     */
    record Request(CausalLM lm, List<Sequence> sequences, GenerationConfig config, int padTokenId,
            Tokenizer tokenizer) {
        public Request {
            Objects.requireNonNull(lm, "lm");
            sequences = List.copyOf(sequences);
            Objects.requireNonNull(config, "config");
        }
    }

    /** The state of one generation under a strategy. Not thread-safe. */
    interface Decoding extends AutoCloseable {

        /**
         * Runs the model and {@link Sequence#append appends} at least one token to every running
         * sequence (possibly ending it).
         */
        void step();

        /** The prompts' forward pass, once it has run (0 before). */
        long prefillNanos();

        /** What this strategy did so far. */
        DecodingMetrics metrics();

        /** Frees the caches. Does not throw; may be called more than once. */
        @Override
        void close();
    }
}
