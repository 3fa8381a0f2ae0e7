package dev.billionllm.core.generate;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.IncrementalDecoder;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The one loop behind every {@link Generator} call, whatever the strategy: it makes a {@link
 * Sequence} per prompt (validating ids and the context), asks the strategy's {@link
 * DecodingStrategy.Decoding} for tokens until every sequence has finished, checks cancellation
 * between steps, and hands out the token events the sequences produced. Not thread-safe: one loop
 * belongs to one generation.
 */
final class DecodeLoop implements AutoCloseable {
    private final List<Sequence> rows;
    private final List<TokenEvent> outbox = new ArrayList<>();
    private final TokenListener listener; // null: events wait in the outbox for step()'s caller
    private final BooleanSupplier cancelled;
    private final long startNanos;
    private final DecodingStrategy.Decoding decoding;
    private boolean done;
    private boolean closed;

    /**
     * @param prompts each row's prompt ids
     * @param decoders makes row {@code r}'s incremental decoder (null: no text)
     * @param seed row {@code r} samples with seed {@code seed + r}
     */
    DecodeLoop(CausalLM lm, DecodingStrategy strategy, List<int[]> prompts, GenerationConfig config, Set<Integer> eos,
            long seed, int padId, Tokenizer tokenizer, IntFunction<IncrementalDecoder> decoders,
            BooleanSupplier cancelled, long startNanos, TokenListener listener) {
        this.cancelled = cancelled;
        this.listener = listener;
        this.startNanos = startNanos;
        Set<Integer> eosIds = Set.copyOf(eos);
        List<Sequence> made = new ArrayList<>(prompts.size());
        for (int r = 0; r < prompts.size(); r++) {
            made.add(newSequence(lm, r, prompts.size() > 1, prompts.get(r), config, eosIds, seed + r,
                    decoders.apply(r), this::deliver, cancelled));
        }
        this.rows = List.copyOf(made);
        this.decoding = strategy.start(new DecodingStrategy.Request(lm, rows, config, padId, tokenizer));
    }

    /**
     * A sequence for {@code prompt}, after checking its ids against the vocabulary and its length
     * against the context; shared by this loop and {@link ContinuousBatcher}, so both refuse and
     * limit prompts the same way.
     *
     * @param row the prompt's index in its batch ({@code several}: name it in errors)
     * @param seed the row's own sampling seed
     * @param decoder the row's incremental decoder (null: no text)
     */
    static Sequence newSequence(CausalLM lm, int row, boolean several, int[] prompt, GenerationConfig config,
            Set<Integer> eos, long seed, IncrementalDecoder decoder, Consumer<TokenEvent> events,
            BooleanSupplier cancelled) {
        int maxPositions = lm.config().maxPositionEmbeddings();
        int vocab = lm.config().vocabSize();
        for (int id : prompt) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("prompt " + row + " holds token id " + id
                        + ", outside the model's vocabulary [0, " + vocab + ")");
            }
        }
        // Context policy: a prompt that leaves no room fails here; otherwise generation stops
        // when prompt + generated tokens reach max_position_embeddings (CONTEXT_FULL).
        if (prompt.length >= maxPositions) {
            throw new IllegalArgumentException("prompt " + (several ? row + " " : "") + "has "
                    + prompt.length + " tokens but the model's max_position_embeddings is " + maxPositions
                    + "; shorten it to at most " + (maxPositions - 1) + " tokens to generate anything");
        }
        int limit = Math.min(config.maxNewTokens(), maxPositions - prompt.length);
        Sampler sampler = Samplers.forConfig(config, lm.usableVocabSize(), seed);
        return new Sequence(row, prompt, limit, limit < config.maxNewTokens(), eos, sampler, seed,
                new TextAssembler(decoder, config.stopStrings()), events, cancelled);
    }

    private void deliver(TokenEvent e) {
        if (listener != null) {
            listener.onToken(e);
        } else {
            outbox.add(e);
        }
    }

    boolean isDone() {
        return done;
    }

    /**
     * Runs one step of the strategy (one forward pass, or one draft-and-verify round).
     *
     * @return the new tokens, in order (none when the loop was made with a listener, which has
     *     had them as they came); empty once every row has finished
     */
    List<TokenEvent> step() {
        if (done) {
            return List.of();
        }
        if (cancelled.getAsBoolean()) {
            cancel();
            return List.of();
        }
        rows.forEach(Sequence::startStep);
        try {
            decoding.step();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        List<TokenEvent> events = List.copyOf(outbox);
        outbox.clear();
        if (rows.stream().allMatch(Sequence::isFinished)) {
            done = true;
            close();
        }
        return events;
    }

    /** Ends every running row as CANCELLED. */
    void cancel() {
        rows.forEach(Sequence::cancel);
        done = true;
        close();
    }

    /** The rows' results; call once {@link #isDone()}. */
    List<GenerationResult> results() {
        if (!done) {
            throw new IllegalStateException("generation has not finished");
        }
        DecodingMetrics metrics = decoding.metrics();
        List<GenerationResult> out = new ArrayList<>(rows.size());
        for (Sequence row : rows) {
            out.add(row.result(startNanos, decoding.prefillNanos(), metrics));
        }
        return out;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            decoding.close();
        }
    }
}
