package dev.billionllm.speculative;

import dev.billionllm.core.generate.Draft;
import dev.billionllm.core.generate.DraftProposer;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.LogitsProcessor;
import dev.billionllm.core.generate.Samplers;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.PrefixCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Candidates from a draft model that shares the target's token ids: the draft decodes a few tokens
 * autoregressively with the target's logits processors (so its distribution {@code q} is comparable
 * with the target's {@code p}), stopping early when its top probability falls below {@code pMin}.
 * Its KV cache follows the accepted text: what the target rejected is rolled back on the next call.
 */
final class DraftModelProposer implements DraftProposer {
    private final CausalLM draft;
    private final PrefixCache cache;
    private final boolean greedy;
    private final List<LogitsProcessor> processors;
    private final SplittableRandom rng;
    private final DraftSchedule schedule;
    private final double minProbability;
    private int length;

    /**
     * @param usableVocab ids at or past this are never proposed (the smaller of both models' usable
     *     vocabularies)
     * @param capacity positions the draft's cache holds
     */
    DraftModelProposer(CausalLM draft, GenerationConfig config, long seed, int usableVocab, int capacity,
            DraftSchedule schedule, double minProbability) {
        this.draft = draft;
        this.cache = new PrefixCache(draft, Math.min(capacity, draft.config().maxPositionEmbeddings()));
        this.greedy = config.isGreedy();
        this.processors = Samplers.processorsFor(config, Math.min(usableVocab, draft.usableVocabSize()));
        // a seed of its own, so that the draft's draws never line up with the verifier's
        this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        this.schedule = schedule;
        this.minProbability = minProbability;
        this.length = schedule.initial();
    }

    /** Candidates in the draft's own ids (the target's when they share a tokenizer). */
    @Override
    public Draft propose(int[] context, int maxTokens) {
        int n = Math.min(maxTokens, length);
        n = Math.min(n, cache.capacity() - context.length + 1);
        int vocab = draft.config().vocabSize();
        if (n < 1 || Arrays.stream(context).anyMatch(id -> id >= vocab)) {
            return Draft.of(); // no room left, or an id the draft cannot embed
        }
        int kept = cache.keepPrefixOf(context, context.length - 1);
        Logits logits = cache.feed(Arrays.copyOfRange(context, kept, context.length), LogitsMode.LAST);
        int[] seen = Arrays.copyOf(context, context.length + n);
        int[] tokens = new int[n];
        List<double[]> qs = new ArrayList<>(n);
        int made = 0;
        while (made < n) {
            float[] row = logits.last(0);
            int[] before = Arrays.copyOf(seen, context.length + made);
            for (LogitsProcessor p : processors) {
                p.process(row, before);
            }
            // the full-vocabulary softmax only when something reads it: a sampled draft keeps it for
            // verification, and p_min needs its maximum; greedy drafting without p_min needs neither
            double[] q = greedy && minProbability <= 0 ? null : Samplers.softmax(row);
            int pick = greedy ? Samplers.argmax(row) : Samplers.drawFrom(q, rng.nextDouble());
            if (minProbability > 0 && max(q) < minProbability) {
                break; // llama.cpp's p_min: the draft is unsure, let the target decide
            }
            tokens[made] = pick;
            seen[context.length + made] = pick;
            if (!greedy) {
                qs.add(q);
            }
            made++;
            if (made < n) {
                logits = cache.feed(new int[] {pick}, LogitsMode.LAST);
            }
        }
        int[] out = Arrays.copyOf(tokens, made);
        return greedy ? Draft.of(out) : new Draft(out, qs.toArray(new double[0][]));
    }

    @Override
    public void onVerified(Draft proposed, int accepted) {
        length = schedule.next(length, proposed.size(), accepted);
    }

    /** The current draft length (for tests of the schedule). */
    int draftLength() {
        return length;
    }

    private static double max(double[] q) {
        double m = 0;
        for (double v : q) {
            m = Math.max(m, v);
        }
        return m;
    }

    @Override
    public void close() {
        cache.close();
    }
}
