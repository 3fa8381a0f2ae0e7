package dev.billionllm.core.generate;

import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.time.Duration;
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
 * <p>How a request runs: it waits until fewer than {@code maxBatch} rows run, is prefilled alone
 * into its own cache (its first token comes from that pass), and before the next step its cache
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

    /** Prefills waiting requests alone while rows are free; returns those still running. */
    private List<Row> admit() {
        List<Row> joining = new ArrayList<>();
        while (running.size() + joining.size() < maxBatch && !closed) {
            Row r;
            if (running.isEmpty() && joining.isEmpty()) {
                try {
                    r = waiting.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return joining;
                }
            } else {
                r = waiting.poll();
            }
            if (r == null) {
                break;
            }
            if (r.cancelled()) {
                r.sequence.cancel();
                r.finish();
                continue;
            }
            try {
                r.prefill();
            } catch (RuntimeException e) {
                r.fail(e);
                continue;
            }
            if (r.sequence.isFinished()) {
                r.finish();
            } else {
                joining.add(r);
            }
        }
        return joining;
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
            rows.add(new CacheRow(r.own, 0));
            capacity = Math.max(capacity, r.finalLength());
        }
        KvCache next = rows.isEmpty() ? null : lm.stackRows(rows, capacity);
        closeBatch();
        batch = next;
        for (Row r : joining) {
            r.own.close();
            r.own = null;
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

    /** One request: its sequence, its own prefill cache until it joins, and its future. */
    private final class Row {
        final Sequence sequence;
        final TokenListener listener;
        final CancellationToken cancel;
        final long startNanos;
        final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        KvCache own;
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

        /** The prompt's forward pass in a cache of its own, and the first token from it. */
        void prefill() {
            own = lm.newCache(1, finalLength());
            long t0 = System.nanoTime();
            Logits logits = lm.forward(TokenBatch.of(sequence.prompt()), own, LogitsMode.LAST);
            prefillNanos = System.nanoTime() - t0;
            forwardNanos += prefillNanos;
            sequence.startStep();
            sequence.append(pick(logits.last(0)));
        }

        int pick(float[] logits) {
            int id = sequence.sampler().sample(logits, sequence.ids());
            if (id < 0 || id >= lm.usableVocabSize()) {
                throw new IllegalStateException("the sampler picked id " + id + ", outside the usable vocabulary [0, "
                        + lm.usableVocabSize() + ")");
            }
            return id;
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
            freeOwn();
            if (listenerFailure != null) {
                result.completeExceptionally(listenerFailure);
                return;
            }
            DecodingMetrics metrics = new DecodingMetrics(DecodingStrategy.plain().name(), rounds, 0, 0, Duration.ZERO,
                    Duration.ofNanos(forwardNanos));
            result.complete(sequence.result(startNanos, prefillNanos, metrics));
        }

        void fail(Throwable e) {
            freeOwn();
            result.completeExceptionally(e);
        }

        private void freeOwn() {
            if (own != null) {
                own.close();
                own = null;
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
