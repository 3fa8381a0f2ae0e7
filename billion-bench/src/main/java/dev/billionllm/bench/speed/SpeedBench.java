package dev.billionllm.bench.speed;

import dev.billionllm.bench.score.LogProbs;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Runs llama-bench style tests on a model.
 *
 * <ul>
 *   <li>{@code ppN}: a fresh cache, one forward pass over N random prompt ids (last-position
 *       logits only, as a generator's prefill); tokens/s = N / time.
 *   <li>{@code tgN}: a fresh cache, N single-token steps starting at position 0, each fed the
 *       greedy token of the previous step; tokens/s = N / time; each step is also timed for the
 *       latency percentiles.
 * </ul>
 *
 * Each test runs {@code warmup} untimed times, then {@code repetitions} timed times. Prompt ids are
 * drawn below {@link CausalLM#usableVocabSize()} from a seeded generator, so runs are repeatable.
 *
 * <pre>{@code
 * List<SpeedResult> results = new SpeedBench(lm, SpeedConfig.pp128tg128(5)).run();
 * }</pre>
 */
public final class SpeedBench {

    private final CausalLM lm;
    private final SpeedConfig config;
    private final LongSupplier clock;

    public SpeedBench(CausalLM lm, SpeedConfig config) {
        this(lm, config, System::nanoTime);
    }

    /** With an injected nanosecond clock (tests). */
    SpeedBench(CausalLM lm, SpeedConfig config, LongSupplier clock) {
        this.lm = lm;
        this.config = config;
        this.clock = clock;
    }

    /** Every pp test, then every tg test. */
    public List<SpeedResult> run() {
        List<SpeedResult> out = new ArrayList<>();
        for (int n : config.promptLengths()) {
            out.add(promptProcessing(n));
        }
        for (int n : config.generationLengths()) {
            out.add(tokenGeneration(n));
        }
        return out;
    }

    /** The {@code ppN} test. */
    public SpeedResult promptProcessing(int n) {
        int[] prompt = new Random(config.seed()).ints(n, 0, lm.usableVocabSize()).toArray();
        for (int i = 0; i < config.warmup(); i++) {
            prefill(prompt);
        }
        int reps = config.repetitions();
        double[] tps = new double[reps];
        double[] ms = new double[reps];
        double[] perToken = new double[reps];
        long kv = 0;
        for (int r = 0; r < reps; r++) {
            try (KvCache cache = lm.newCache(1, n)) {
                long t0 = clock.getAsLong();
                lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
                long dt = Math.max(1, clock.getAsLong() - t0);
                kv = cache.sizeInBytes();
                ms[r] = dt / 1e6;
                tps[r] = n / (dt / 1e9);
                perToken[r] = ms[r] / n;
            }
        }
        double meanMs = Stats.mean(ms);
        return new SpeedResult("pp" + n, n, reps, Stats.mean(tps), Stats.stddev(tps), meanMs, meanMs,
                Stats.percentile(perToken, 50), Stats.percentile(perToken, 90), kv);
    }

    private void prefill(int[] prompt) {
        try (KvCache cache = lm.newCache(1, prompt.length)) {
            lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
        }
    }

    /** The {@code tgN} test. */
    public SpeedResult tokenGeneration(int n) {
        int first = new Random(config.seed()).nextInt(lm.usableVocabSize());
        for (int i = 0; i < config.warmup(); i++) {
            generate(first, n, null);
        }
        int reps = config.repetitions();
        double[] tps = new double[reps];
        double[] ms = new double[reps];
        double[] ttft = new double[reps];
        double[] steps = new double[reps * n];
        long kv = 0;
        for (int r = 0; r < reps; r++) {
            double[] stepMs = new double[n];
            kv = generate(first, n, stepMs);
            double total = 0;
            for (double s : stepMs) {
                total += s;
            }
            System.arraycopy(stepMs, 0, steps, r * n, n);
            ms[r] = total;
            tps[r] = n / (Math.max(total, 1e-6) / 1e3);
            ttft[r] = stepMs[0];
        }
        return new SpeedResult("tg" + n, n, reps, Stats.mean(tps), Stats.stddev(tps), Stats.mean(ms),
                Stats.mean(ttft), Stats.percentile(steps, 50), Stats.percentile(steps, 90), kv);
    }

    /** Decodes {@code n} tokens greedily from {@code first}; fills {@code stepMs} when given. Returns the cache bytes. */
    private long generate(int first, int n, double[] stepMs) {
        try (KvCache cache = lm.newCache(1, n)) {
            int token = first;
            int usable = lm.usableVocabSize();
            for (int i = 0; i < n; i++) {
                long t0 = clock.getAsLong();
                Logits logits = lm.forward(TokenBatch.of(token), cache, LogitsMode.LAST);
                // The greedy pick is part of a real decode step, so it is inside the timing.
                token = LogProbs.argmax(logits.values(), logits.offset(0, 0), usable);
                long dt = Math.max(1, clock.getAsLong() - t0);
                if (stepMs != null) {
                    stepMs[i] = dt / 1e6;
                }
            }
            return cache.sizeInBytes();
        }
    }
}
