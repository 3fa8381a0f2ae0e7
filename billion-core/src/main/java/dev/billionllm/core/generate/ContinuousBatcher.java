package dev.billionllm.core.generate;

import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching: one thread runs one forward pass per step for every running request of a
 * model, and requests join and leave between steps. Each request keeps its own configuration
 * (sampling and its seed, stops, max tokens), cancellation and listener, and gets the tokens it
 * would get alone from {@link Generator#generate}: greedy output is the same, and a seeded
 * sampler draws from its own random stream whatever else runs.
 *
 * <p>How a request runs: it waits until fewer than {@code maxBatch} rows run, is prefilled into a
 * cache of its own (with the requests that arrived with it, left-padded, in one pass; its first
 * token comes from that pass), and before the next step its cache
 * row joins the running batch through {@link CausalLM#stackRows}, which rebuilds the batch cache
 * with every row's real tokens right-aligned (shorter rows are left-padded and masked, positions
 * continue per row). A row that finishes or is cancelled leaves the same way: the rows that stay
 * are stacked again, which also drops the padding the longest leaver held, so the cache holds at
 * most the longest running row. Rebuilding costs one copy of the cache per change of membership;
 * a step costs one forward pass of {@code rows} tokens, which on a CPU reads the weights once
 * instead of once per request.
 *
 * <pre>{@code
 * try (ContinuousBatcher batcher = ContinuousBatcher.builder(generator).optMaxBatch(16).build()) {
 *     CompletableFuture<GenerationResult> a = batcher.submit(Prompt.text("one"), config, e -> {}, new CancellationToken());
 *     CompletableFuture<GenerationResult> b = batcher.submit(Prompt.text("two"), config, e -> {}, new CancellationToken());
 *     System.out.println(a.join().text() + " / " + b.join().text());
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> {@link #submit} is thread-safe. Listeners are called on the batcher's
 * thread, between steps: a listener that blocks holds back every row, so hand events to another
 * thread (a queue) when delivering them can block, as a network write can. A listener that throws
 * ends its own row only; its future completes with that exception.
 *
 * <p>Only plain decoding: a generator with another {@link DecodingStrategy} is refused, and so is
 * a model that cannot {@link CausalLM#stackRows} (both built-in backends can).
 *
 * <p><b>Ownership.</b> The batcher owns its thread and every KV cache it makes; {@link #close()}
 * cancels what runs and waits, stops the thread and frees the caches. It does not own the
 * generator or the model.
 */
public final class ContinuousBatcher implements AutoCloseable {
    /** How long the idle thread waits for a request before checking whether it was closed. */
    private static final long IDLE_POLL_MILLIS = 50;
    /**
     * Most prompt positions (rows times the longest prompt) prefilled in one pass: requests that
     * arrive together share one pass, which reads the weights once, but a long prompt is not
     * padded onto many short ones.
     */
    static final int PREFILL_TOKENS = 4096;

    private final Generator generator;
    private final CausalLM lm;
    private final int maxBatch;
    private final LinkedBlockingQueue<Row> waiting = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    // Only the batcher's thread touches these; the volatile counters are their published view.
    private List<Row> running = new ArrayList<>();
    private KvCache batch; // row i belongs to running.get(i)
    private volatile int runningRows;
    private volatile long cachedPositions;
    private volatile long steps;

    private ContinuousBatcher(Builder b) {
        this.generator = b.generator;
        this.lm = b.generator.model();
        this.maxBatch = b.maxBatch;
        this.thread = new Thread(this::run, b.threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** A builder over {@code generator}'s model, tokenizer and chat template. */
    public static Builder builder(Generator generator) {
        return new Builder(generator);
    }

    /** The most rows a step runs. */
    public int maxBatch() {
        return maxBatch;
    }

    /** Rows in the running batch now (their caches joined); a gauge for metrics. */
    public int runningRows() {
        return runningRows;
    }

    /** Requests submitted and not yet prefilled. */
    public int waitingRows() {
        return waiting.size();
    }

    /**
     * Positions the running batch's KV cache holds now (rows times length, padding included): 0
     * once every row has left, since the cache is then freed.
     */
    public long cachedPositions() {
        return cachedPositions;
    }

    /** Batched forward passes run so far (prefills not counted). */
    public long steps() {
        return steps;
    }

    /**
     * Queues {@code prompt}; it joins the running batch as soon as a row is free. The prompt is
     * encoded and checked here, on the calling thread, so a bad one fails at once.
     *
     * @param listener receives this request's tokens on the batcher's thread (its {@link
     *     TokenEvent#row()} is 0); must not block
     * @param cancel ends this request (only) before its next step, with {@link FinishReason#CANCELLED}
     * @return completes with the request's result (also when cancelled), or exceptionally when its
     *     listener or the model failed
     * @throws IllegalArgumentException if the prompt holds ids outside the vocabulary or fills the context
     * @throws IllegalStateException if the batcher is closed
     */
    public CompletableFuture<GenerationResult> submit(Prompt prompt, GenerationConfig config, TokenListener listener,
            CancellationToken cancel) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(listener, "listener (use TokenListener.NONE)");
        Objects.requireNonNull(cancel, "cancel");
        long startNanos = System.nanoTime();
        if (closed) {
            throw new IllegalStateException("this batcher is closed");
        }
        int[] ids = generator.encode(prompt);
        long seed = config.seed().orElseGet(() -> ThreadLocalRandom.current().nextLong());
        Row row = new Row(ids, config, seed, listener, cancel, startNanos);
        waiting.add(row);
        if (closed) {
            // close() may have drained the queue before this row arrived
            cancelWaiting();
        }
        return row.result;
    }

    /** Cancels every request, stops the thread (waiting for its step to end) and frees the caches. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cancelWaiting();
    }

    private void cancelWaiting() {
        Row r;
        while ((r = waiting.poll()) != null) {
            r.sequence.cancel();
            r.finish();
        }
    }

    private void run() {
        while (!closed) {
            List<Row> joining = List.of();
            try {
                joining = admit();
                restack(joining);
                joining = List.of();
                if (!running.isEmpty()) {
                    step();
                }
            } catch (RuntimeException | Error e) {
                // a failed step leaves no row's cache in a known state: end them all, keep serving
                for (Row r : running) {
                    r.fail(e);
                }
                for (Row r : joining) {
                    r.fail(e);
                }
                running = new ArrayList<>();
                closeBatch();
            }
        }
        for (Row r : running) {
            r.sequence.cancel();
            r.finish();
        }
        running = new ArrayList<>();
        closeBatch();
    }

    /**
     * Prefills waiting requests while rows are free, several at once when they arrived together;
     * returns those still running.
     */
    private List<Row> admit() {
        List<Row> joining = new ArrayList<>();
        while (running.size() + joining.size() < maxBatch && !closed) {
            List<Row> group = nextGroup(maxBatch - running.size() - joining.size(),
                    running.isEmpty() && joining.isEmpty());
            if (group.isEmpty()) {
                break;
            }
            for (Row r : prefill(group)) {
                if (r.sequence.isFinished()) {
                    r.finish();
                } else {
                    joining.add(r);
                }
            }
        }
        return joining;
    }

    /**
     * Up to {@code free} waiting requests to prefill in one pass, in arrival order, as long as
     * the left-padded batch stays within {@link #PREFILL_TOKENS} (padding to the longest prompt is
     * work too); cancelled ones end here. Waits briefly for the first when {@code idle}.
     */
    private List<Row> nextGroup(int free, boolean idle) {
        List<Row> group = new ArrayList<>();
        int longest = 0;
        while (group.size() < free) {
            Row next = waiting.peek();
            if (next == null && group.isEmpty() && idle) {
                try {
                    next = waiting.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    break;
                }
                if (next == null) {
                    break;
                }
            } else if (next == null) {
                break;
            } else {
                int wider = Math.max(longest, next.sequence.promptLength());
                if (!group.isEmpty() && (long) wider * (group.size() + 1) > PREFILL_TOKENS) {
                    break;
                }
                next = waiting.poll(); // only this thread takes rows while it runs
                if (next == null) {
                    break;
                }
            }
            if (next.cancelled()) {
                next.sequence.cancel();
                next.finish();
                continue;
            }
            longest = Math.max(longest, next.sequence.promptLength());
            group.add(next);
        }
        return group;
    }

    /**
     * One left-padded forward pass of the group's prompts into a cache they share until they join
     * the batch, and each row's first token from it. A failure ends the group's rows only.
     *
     * @return the rows that did not fail
     */
    private List<Row> prefill(List<Row> group) {
        int[][] prompts = new int[group.size()][];
        int longest = 0;
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = group.get(i).sequence.prompt();
            longest = Math.max(longest, prompts[i].length);
        }
        Prefilled shared = new Prefilled(lm.newCache(group.size(), longest), group.size());
        try {
            long t0 = System.nanoTime();
            Logits logits = lm.forward(TokenBatch.leftPadded(prompts, generator.padTokenId()), shared.cache,
                    LogitsMode.LAST);
            long took = System.nanoTime() - t0;
            for (int i = 0; i < prompts.length; i++) {
                Row r = group.get(i);
                r.prefilled = shared;
                r.prefilledRow = i;
                r.prefillNanos = took;
                r.forwardNanos += took;
                r.sequence.startStep();
                r.sequence.append(r.pick(logits.last(i)));
            }
            return group;
        } catch (RuntimeException e) {
            for (Row r : group) {
                r.prefilled = null;
                r.fail(e);
            }
            shared.cache.close();
            return List.of();
        }
    }

    /** Drops finished and cancelled rows, adds {@code joining}, and rebuilds the batch cache if anything changed. */
    private void restack(List<Row> joining) {
        List<Row> stay = new ArrayList<>(running.size() + joining.size());
        List<Row> leaving = new ArrayList<>();
        List<CacheRow> rows = new ArrayList<>();
        int capacity = 0;
        for (int i = 0; i < running.size(); i++) {
            Row r = running.get(i);
            if (!r.sequence.isFinished() && r.cancelled()) {
                r.sequence.cancel();
            }
            if (r.sequence.isFinished()) {
                leaving.add(r);
            } else {
                stay.add(r);
                rows.add(new CacheRow(batch, i));
                capacity = Math.max(capacity, r.finalLength());
            }
        }
        if (leaving.isEmpty() && joining.isEmpty()) {
            return;
        }
        for (Row r : joining) {
            rows.add(new CacheRow(r.prefilled.cache, r.prefilledRow));
            capacity = Math.max(capacity, r.finalLength());
        }
        KvCache next = rows.isEmpty() ? null : lm.stackRows(rows, capacity);
        closeBatch();
        batch = next;
        for (Row r : joining) {
            r.releasePrefilled();
            stay.add(r);
        }
        running = stay;
        publish();
        for (Row r : leaving) {
            r.finish();
        }
    }

    /** One forward pass of every running row's last token; each row picks its next token. */
    private void step() {
        int[][] ids = new int[running.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = new int[] {running.get(i).sequence.lastToken()};
        }
        long t0 = System.nanoTime();
        Logits logits = lm.forward(TokenBatch.of(ids), batch, LogitsMode.LAST);
        long took = System.nanoTime() - t0;
        steps++;
        for (int i = 0; i < ids.length; i++) {
            Row r = running.get(i);
            r.forwardNanos += took;
            r.rounds++;
            r.sequence.startStep();
            r.sequence.append(r.pick(logits.last(i)));
        }
        publish();
    }

    private void publish() {
        runningRows = running.size();
        cachedPositions = batch == null ? 0 : (long) batch.batchSize() * batch.length();
    }

    private void closeBatch() {
        if (batch != null) {
            batch.close();
            batch = null;
        }
        publish();
    }

    /** A prefill's cache, shared by the rows prefilled together; freed when the last has joined or ended. */
    private static final class Prefilled {
        final KvCache cache;
        private int users;

        Prefilled(KvCache cache, int users) {
            this.cache = cache;
            this.users = users;
        }

        void release() {
            if (--users == 0) {
                cache.close();
            }
        }
    }

    /** One request: its sequence, its prefill cache until it joins, and its future. */
    private final class Row {
        final Sequence sequence;
        final TokenListener listener;
        final CancellationToken cancel;
        final long startNanos;
        final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        Prefilled prefilled; // the cache of its prefill, until it joins the batch
        int prefilledRow;
        long prefillNanos;
        long forwardNanos;
        int rounds;
        volatile RuntimeException listenerFailure;

        Row(int[] prompt, GenerationConfig config, long seed, TokenListener listener, CancellationToken cancel,
                long startNanos) {
            this.listener = listener;
            this.cancel = cancel;
            this.startNanos = startNanos;
            this.sequence = DecodeLoop.newSequence(lm, 0, false, prompt, config, generator.eosTokenIds(config),
                    seed, generator.newDecoder(config), this::deliver, this::cancelled);
        }

        boolean cancelled() {
            return closed || cancel.isCancelled() || listenerFailure != null;
        }

        /** Prompt plus the most tokens it may take: what its cache rows must hold. */
        int finalLength() {
            return sequence.length() + sequence.remaining();
        }

        int pick(float[] logits) {
            return sequence.pick(logits, lm.usableVocabSize());
        }

        private void deliver(TokenEvent e) {
            if (listenerFailure != null) {
                return;
            }
            try {
                listener.onToken(e);
            } catch (RuntimeException ex) {
                listenerFailure = ex;
            }
        }

        void finish() {
            releasePrefilled();
            if (listenerFailure != null) {
                result.completeExceptionally(listenerFailure);
                return;
            }
            DecodingMetrics metrics = DecodingMetrics.plain(rounds, forwardNanos);
            result.complete(sequence.result(startNanos, prefillNanos, metrics));
        }

        void fail(Throwable e) {
            releasePrefilled();
            result.completeExceptionally(e);
        }

        void releasePrefilled() {
            if (prefilled != null) {
                prefilled.release();
                prefilled = null;
            }
        }
    }

    /** Builds a {@link ContinuousBatcher}. */
    public static final class Builder {
        private final Generator generator;
        private int maxBatch = 8;
        private String threadName = "billion-batch";

        private Builder(Generator generator) {
            this.generator = Objects.requireNonNull(generator, "generator");
            if (generator.strategy() != DecodingStrategy.plain()) {
                throw new IllegalArgumentException("continuous batching runs plain decoding only, but this generator uses "
                        + generator.strategy() + "; build the batcher from a plain generator");
            }
            if (!generator.model().canStackRows()) {
                throw new IllegalArgumentException(generator.model() + " cannot stack KV cache rows (CausalLM.stackRows), "
                        + "which continuous batching needs; generate per request instead");
            }
        }

        /** The most rows one step runs; more requests wait. Default 8. */
        public Builder optMaxBatch(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxBatch must be >= 1, got " + n);
            }
            this.maxBatch = n;
            return this;
        }

        /** The name of the batcher's thread (thread dumps, profilers). Default {@code billion-batch}. */
        public Builder optThreadName(String name) {
            this.threadName = Objects.requireNonNull(name, "thread name");
            return this;
        }

        /** Starts the batcher's thread. */
        public ContinuousBatcher build() {
            return new ContinuousBatcher(this);
        }
    }
}
