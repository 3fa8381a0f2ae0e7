package dev.billionllm.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One prompt's state during a generation, the bookkeeping every {@link DecodingStrategy} shares: the
 * ids so far, how many more tokens it may take (max new tokens, the model's context), eos ids, stop
 * strings across tokens, streaming of complete UTF-8 text, timings and the finish reason. A strategy
 * only decides which tokens come next and hands them to {@link #append}; everything else about
 * ending and streaming is decided here, once, whatever the strategy.
 *
 * <pre>{@code
 * // inside a strategy's Decoding.step():
 * for (int id : acceptedTokens) {
 *     if (!sequence.append(id)) {
 *         break; // eos, a stop string or a limit ended it: the rest is dropped
 *     }
 * }
 * }</pre>
 *
 * <p>Made by {@link Generator}; not thread-safe (one generation runs on one thread).
 */
public final class Sequence {
    private final int row;
    private final int promptLength;
    private final int limit;
    private final boolean limitedByContext;
    private final Set<Integer> eos;
    private final Sampler sampler;
    private final long seed;
    private final TextAssembler text;
    private final Consumer<TokenEvent> events; // the loop's listener or outbox, shared by its rows
    private final BooleanSupplier cancelled;
    private int appendedThisStep;
    private int[] ids; // prompt + generated
    private int length;
    private FinishReason finish;
    private long firstNanos;
    private long lastNanos;

    Sequence(int row, int[] prompt, int limit, boolean limitedByContext, Set<Integer> eos, Sampler sampler,
            long seed, TextAssembler text, Consumer<TokenEvent> events, BooleanSupplier cancelled) {
        this.row = row;
        this.promptLength = prompt.length;
        this.limit = limit;
        this.limitedByContext = limitedByContext;
        this.eos = eos;
        this.sampler = sampler;
        this.seed = seed;
        this.text = text;
        this.events = events;
        this.cancelled = cancelled;
        this.ids = Arrays.copyOf(prompt, prompt.length + Math.min(limit, 1024));
        this.length = prompt.length;
    }

    /** The prompt's index in its batch (0 for a single prompt). */
    public int row() {
        return row;
    }

    /** A copy of the prompt ids. */
    public int[] prompt() {
        return Arrays.copyOf(ids, promptLength);
    }

    public int promptLength() {
        return promptLength;
    }

    /** A copy of the ids so far: prompt, then generated. */
    public int[] ids() {
        return Arrays.copyOf(ids, length);
    }

    /** Prompt plus generated ids. */
    public int length() {
        return length;
    }

    /** Tokens generated so far. */
    public int generated() {
        return length - promptLength;
    }

    /** The last id (the prompt's last while nothing is generated). */
    public int lastToken() {
        return ids[length - 1];
    }

    /**
     * Tokens this sequence may still take before max new tokens or the model's context ends it; a
     * strategy that proposes several tokens at once never needs more than this many.
     */
    public int remaining() {
        return finish == null ? limit - generated() : 0;
    }

    public boolean isFinished() {
        return finish != null;
    }

    /** Why it ended, or null while it runs. */
    public FinishReason finishReason() {
        return finish;
    }

    /**
     * The sampler the configuration asks for, seeded for this row (processors, then a greedy pick or
     * a random draw): what plain decoding picks with.
     */
    public Sampler sampler() {
        return sampler;
    }

    /**
     * The next id by {@link #sampler()} over {@code logits}, checked against the vocabulary the
     * tokenizer covers (ids past it are padding of the checkpoint and decode to nothing).
     */
    public int pick(float[] logits, int usableVocabSize) {
        int id = sampler.sample(logits, ids());
        if (id < 0 || id >= usableVocabSize) {
            throw new IllegalStateException("the sampler picked id " + id + ", outside the usable vocabulary [0, "
                    + usableVocabSize + ")");
        }
        return id;
    }

    /** This row's seed (the configuration's seed plus the row index). */
    public long seed() {
        return seed;
    }

    /**
     * Adds the next token and streams its text: ends the sequence when a stop string appears in
     * the text, when {@code id} is an eos id, or when a limit is reached (in that order of
     * precedence, as plain decoding always did). A cancellation seen between two tokens of one step
     * ends the sequence before the second, so a strategy that finds several tokens at once stops
     * where plain decoding would have.
     *
     * @return whether the sequence still runs (false: later tokens of the same round are dropped)
     * @throws IllegalStateException if it has already finished
     */
    public boolean append(int id) {
        if (finish != null) {
            throw new IllegalStateException("row " + row + " has finished (" + finish + "); no token can follow");
        }
        if (appendedThisStep > 0 && cancelled.getAsBoolean()) {
            finish = FinishReason.CANCELLED;
            return false;
        }
        appendedThisStep++;
        long now = System.nanoTime();
        if (length == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[length++] = id;
        if (generated() == 1) {
            firstNanos = now;
        }
        lastNanos = now;
        String delta = text.add(id);
        if (text.stopped()) {
            finish = FinishReason.STOP_STRING;
        } else if (eos.contains(id)) {
            finish = FinishReason.EOS;
        } else if (generated() >= limit) {
            finish = limitedByContext ? FinishReason.CONTEXT_FULL : FinishReason.LENGTH;
        }
        if (finish != null && finish != FinishReason.STOP_STRING) {
            delta += text.finish();
        }
        events.accept(new TokenEvent(row, generated() - 1, id, delta, finish));
        return finish == null;
    }

    /** A new step of the loop begins. */
    void startStep() {
        appendedThisStep = 0;
    }

    /** Ends a running sequence as CANCELLED. */
    void cancel() {
        if (finish == null) {
            finish = FinishReason.CANCELLED;
        }
    }

    GenerationResult result(long startNanos, long prefillNanos, DecodingMetrics metrics) {
        int n = generated();
        long ttft = n > 0 ? firstNanos - startNanos : 0;
        GenerationResult.Timings timings = GenerationResult.Timings.of(
                ttft, prefillNanos, promptLength, n > 0 ? lastNanos - firstNanos : 0, n);
        List<Integer> out = new ArrayList<>(n);
        for (int i = promptLength; i < length; i++) {
            out.add(ids[i]);
        }
        return new GenerationResult(out, text.emittedText(), finish, promptLength, timings, metrics);
    }
}
