package dev.billionllm.core.generate;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.tokenize.IncrementalDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * The one decoding loop behind every {@link Generator} call: a batch of rows (one for a single
 * prompt), prefilled together with left padding, then one forward pass per step for all rows.
 * Each {@link #step()} picks one token for every row still running. Not thread-safe: one loop
 * belongs to one generation.
 */
final class DecodeLoop implements AutoCloseable {
    private final CausalLM lm;
    private final Row[] rows;
    private final Set<Integer> eos;
    private final int padId;
    private final BooleanSupplier cancelled;
    private final long startNanos;
    private KvCache cache;
    private boolean prefilled;
    private boolean done;
    private long prefillNanos;

    /**
     * @param prompts each row's prompt ids
     * @param decoders makes row {@code r}'s incremental decoder (null: no text)
     * @param seed row {@code r} samples with seed {@code seed + r}
     */
    DecodeLoop(CausalLM lm, List<int[]> prompts, GenerationConfig config, Set<Integer> eos, long seed, int padId,
            IntFunction<IncrementalDecoder> decoders, BooleanSupplier cancelled, long startNanos) {
        this.lm = lm;
        this.eos = Set.copyOf(eos);
        this.padId = padId;
        this.cancelled = cancelled;
        this.startNanos = startNanos;
        int maxPositions = lm.config().maxPositionEmbeddings();
        int vocab = lm.config().vocabSize();
        this.rows = new Row[prompts.size()];
        for (int r = 0; r < rows.length; r++) {
            int[] prompt = prompts.get(r);
            for (int id : prompt) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("prompt " + r + " holds token id " + id
                            + ", outside the model's vocabulary [0, " + vocab + ")");
                }
            }
            // Context policy: a prompt that leaves no room fails here; otherwise generation stops
            // when prompt + generated tokens reach max_position_embeddings (CONTEXT_FULL).
            if (prompt.length >= maxPositions) {
                throw new IllegalArgumentException("prompt " + (rows.length > 1 ? r + " " : "") + "has "
                        + prompt.length + " tokens but the model's max_position_embeddings is " + maxPositions
                        + "; shorten it to at most " + (maxPositions - 1) + " tokens to generate anything");
            }
            int limit = Math.min(config.maxNewTokens(), maxPositions - prompt.length);
            Sampler sampler = Samplers.forConfig(config, lm.usableVocabSize(), seed + r);
            rows[r] = new Row(r, prompt, limit, limit < config.maxNewTokens(), sampler,
                    new TextAssembler(decoders.apply(r), config.stopStrings()));
        }
    }

    boolean isDone() {
        return done;
    }

    /**
     * Runs one forward pass and picks a token for every running row.
     *
     * @return the new tokens; empty once every row has finished
     */
    List<TokenEvent> step() {
        if (done) {
            return List.of();
        }
        if (cancelled.getAsBoolean()) {
            cancel();
            return List.of();
        }
        Logits logits;
        try {
            logits = prefilled ? forwardStep() : prefill();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        long now = System.nanoTime();
        List<TokenEvent> events = new ArrayList<>(rows.length);
        boolean anyRunning = false;
        for (Row row : rows) {
            if (row.finish == null) {
                events.add(row.pick(logits.last(row.index), now));
                anyRunning |= row.finish == null;
            }
        }
        if (!anyRunning) {
            done = true;
            close();
        }
        return events;
    }

    /** Ends every running row as CANCELLED. */
    void cancel() {
        for (Row row : rows) {
            if (row.finish == null) {
                row.finish = FinishReason.CANCELLED;
            }
        }
        done = true;
        close();
    }

    /** The rows' results; call once {@link #isDone()}. */
    List<GenerationResult> results() {
        if (!done) {
            throw new IllegalStateException("generation has not finished");
        }
        List<GenerationResult> out = new ArrayList<>(rows.length);
        for (Row row : rows) {
            out.add(row.result());
        }
        return out;
    }

    private Logits prefill() {
        int[][] prompts = new int[rows.length][];
        int padded = 0;
        int steps = 0;
        for (Row row : rows) {
            prompts[row.index] = row.prompt;
            padded = Math.max(padded, row.prompt.length);
            steps = Math.max(steps, row.limit);
        }
        // every row advances once per step, so the cache holds the padded prompt plus the most
        // steps any row may take (the last token is never fed back)
        cache = lm.newCache(rows.length, padded + steps);
        long t0 = System.nanoTime();
        Logits logits = lm.forward(TokenBatch.leftPadded(prompts, padId), cache, LogitsMode.LAST);
        prefillNanos = System.nanoTime() - t0;
        prefilled = true;
        return logits;
    }

    private Logits forwardStep() {
        int[][] next = new int[rows.length][1];
        int[][] mask = new int[rows.length][1];
        for (Row row : rows) {
            // A finished row still takes part in the batch, fed as padding: its positions stop
            // advancing (so they never pass max_position_embeddings) and its logits are ignored.
            boolean running = row.finish == null;
            next[row.index][0] = running ? row.lastToken() : padId;
            mask[row.index][0] = running ? 1 : 0;
        }
        return lm.forward(TokenBatch.of(next, mask), cache, LogitsMode.LAST);
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    /** One prompt's state. */
    private final class Row {
        final int index;
        final int[] prompt;
        final int limit;
        final boolean limitedByContext;
        final Sampler sampler;
        final TextAssembler text;
        int[] context; // prompt + generated ids
        int length;
        FinishReason finish;
        long firstNanos;
        long lastNanos;

        Row(int index, int[] prompt, int limit, boolean limitedByContext, Sampler sampler, TextAssembler text) {
            this.index = index;
            this.prompt = prompt;
            this.limit = limit;
            this.limitedByContext = limitedByContext;
            this.sampler = sampler;
            this.text = text;
            this.context = Arrays.copyOf(prompt, prompt.length + Math.min(limit, 1024));
            this.length = prompt.length;
        }

        int generated() {
            return length - prompt.length;
        }

        int lastToken() {
            return context[length - 1];
        }

        TokenEvent pick(float[] logits, long now) {
            int id = sampler.sample(logits, Arrays.copyOf(context, length));
            if (id < 0 || id >= lm.usableVocabSize()) {
                throw new IllegalStateException("the sampler picked id " + id + ", outside the usable vocabulary [0, "
                        + lm.usableVocabSize() + ")");
            }
            if (length == context.length) {
                context = Arrays.copyOf(context, context.length * 2);
            }
            context[length++] = id;
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
            return new TokenEvent(index, generated() - 1, id, delta, finish);
        }

        GenerationResult result() {
            int n = generated();
            long ttft = n > 0 ? firstNanos - startNanos : 0;
            GenerationResult.Timings timings = GenerationResult.Timings.of(
                    ttft, prefillNanos, prompt.length, n > 0 ? lastNanos - firstNanos : 0, n);
            List<Integer> ids = new ArrayList<>(n);
            for (int i = prompt.length; i < length; i++) {
                ids.add(context[i]);
            }
            return new GenerationResult(ids, text.emittedText(), finish, prompt.length, timings);
        }
    }
}
