package dev.billionllm.core.generate;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.PrefixCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Speculative decoding's one round, on any {@link CausalLM} (either backend, or {@code ScriptedLM}):
 * a {@link DraftProposer} proposes candidate tokens, the target scores the last token and every
 * candidate in <em>one</em> forward pass, the verifier keeps the longest prefix the target accepts
 * plus one token of the target's own (a correction, or a bonus after a fully accepted draft), and
 * the rejected positions are rolled back from the target's KV cache with {@link KvCache#truncate}
 * (the proposer rolls back its own on the next {@link DraftProposer#propose}).
 *
 * <p>Exact: with temperature 0 the tokens are the target's greedy tokens; when sampling they follow
 * the target's distribution after the configuration's logits processors (repetition penalty,
 * temperature, top-k, top-p, min-p, applied to the target's logits as the plain sampler does), with
 * the rejection rule described at {@link Draft}. A seed makes the draws reproducible.
 *
 * <pre>{@code
 * try (DraftVerifier v = new DraftVerifier(target, proposer, config, 42L, prompt.length + 64)) {
 *     int[] context = prompt;
 *     v.prefill(context);
 *     while (context.length < prompt.length + 64) {
 *         DraftVerifier.Round r = v.round(context, 4);
 *         context = concat(context, r.tokens()); // accepted candidates + the target's token
 *     }
 * }
 * }</pre>
 *
 * <p>One verifier serves one sequence (batch size 1); not thread-safe. It owns its target cache and
 * the proposer, and closes both.
 */
public final class DraftVerifier implements AutoCloseable {
    private final CausalLM target;
    private final DraftProposer proposer;
    private final boolean greedy;
    private final List<LogitsProcessor> processors;
    private final SplittableRandom rng;
    private final int capacity;
    private final PrefixCache cache;
    private long draftNanos;
    private long targetNanos;
    private int rounds;
    private long drafted;
    private long accepted;

    /**
     * @param target the model whose output this is
     * @param proposer the candidates' source; closed with this verifier
     * @param config sampling settings of the target (temperature 0 = greedy)
     * @param seed seed of the acceptance and correction draws (unused when greedy)
     * @param capacity positions the target's cache must hold: prompt plus most new tokens
     */
    public DraftVerifier(CausalLM target, DraftProposer proposer, GenerationConfig config, long seed, int capacity) {
        this.target = Objects.requireNonNull(target, "target");
        this.proposer = Objects.requireNonNull(proposer, "proposer");
        this.greedy = config.isGreedy();
        this.processors = Samplers.processorsFor(config, target.usableVocabSize());
        this.rng = new SplittableRandom(seed);
        this.capacity = capacity;
        this.cache = new PrefixCache(target, capacity);
    }

    /**
     * What one round produced.
     *
     * @param tokens the accepted candidates followed by the target's own next token (never empty)
     * @param drafted candidates proposed
     * @param accepted candidates accepted ({@code tokens.length - 1})
     */
    public record Round(int[] tokens, int drafted, int accepted) {}

    /**
     * Feeds all of {@code context} but its last token to the target (the prompt's forward pass), so
     * that the first round only scores candidates. Optional: {@link #round} feeds whatever is
     * missing.
     *
     * @return nanoseconds the forward pass took (0 when nothing was fed)
     */
    public long prefill(int[] context) {
        long t0 = System.nanoTime();
        if (!feedAllButLast(context)) {
            return 0;
        }
        long took = System.nanoTime() - t0;
        targetNanos += took;
        return took;
    }

    /**
     * One round: proposes up to {@code maxDraft} candidates after {@code context}, verifies them in
     * one target forward pass and rolls back what the target rejected.
     *
     * @param context the ids so far (prompt and generated); must extend the previous round's context
     *     by that round's tokens, or the cache is rolled back to the common prefix and refilled
     * @param maxDraft most candidates to verify (0: a plain decoding step)
     * @throws IllegalArgumentException if {@code context} is empty or would overflow the capacity
     */
    public Round round(int[] context, int maxDraft) {
        if (context.length == 0) {
            throw new IllegalArgumentException("the context is empty: a round needs at least the prompt's first token");
        }
        if (maxDraft < 0) {
            throw new IllegalArgumentException("maxDraft must be >= 0, got " + maxDraft);
        }
        int room = capacity - context.length;
        if (room < 0) {
            throw new IllegalArgumentException("a context of " + context.length + " tokens does not fit the capacity "
                    + capacity + " of this verifier");
        }
        Draft draft = Draft.of();
        int k = Math.min(maxDraft, room);
        if (k > 0) {
            long t0 = System.nanoTime();
            draft = proposer.propose(context.clone(), k);
            draftNanos += System.nanoTime() - t0;
            if (draft.size() > k) {
                throw new IllegalStateException("the proposer returned " + draft.size() + " candidates; at most " + k
                        + " were asked for");
            }
            k = draft.size();
        }

        long t0 = System.nanoTime();
        feedAllButLast(context);
        int[] input = new int[1 + k];
        input[0] = context[context.length - 1];
        for (int i = 0; i < k; i++) {
            input[1 + i] = draft.token(i);
        }
        Logits logits = cache.feed(input, LogitsMode.ALL);
        int[] out = verify(context, draft, logits);
        int kept = out.length - 1;
        // the cache now holds context + all k candidates; keep context + the accepted ones (the
        // target's own token is not fed yet, as after a plain step)
        cache.truncate(context.length + kept);
        targetNanos += System.nanoTime() - t0;

        rounds++;
        drafted += k;
        accepted += kept;
        proposer.onVerified(draft, kept);
        return new Round(out, k, kept);
    }

    /**
     * Keeps the target's cached prefix of {@code context} and feeds the rest of it but its last
     * token, which the next round feeds with its candidates.
     *
     * @return whether anything was fed
     */
    private boolean feedAllButLast(int[] context) {
        int fed = cache.keepPrefixOf(context, context.length - 1);
        if (fed == context.length - 1) {
            return false;
        }
        cache.feed(Arrays.copyOfRange(context, fed, context.length - 1), LogitsMode.LAST);
        return true;
    }

    /** Accepts candidates from the front while the target agrees, then adds the target's own token. */
    private int[] verify(int[] context, Draft draft, Logits logits) {
        int k = draft.size();
        int[] seen = Arrays.copyOf(context, context.length + k + 1);
        for (int i = 0; i < k; i++) {
            seen[context.length + i] = draft.token(i);
        }
        int[] out = new int[k + 1];
        for (int i = 0; i <= k; i++) {
            float[] row = logits.at(0, i);
            int[] before = Arrays.copyOf(seen, context.length + i);
            for (LogitsProcessor p : processors) {
                p.process(row, before);
            }
            int next;
            if (greedy) {
                next = Samplers.argmax(row);
                if (i < k && next == draft.token(i)) {
                    out[i] = next;
                    continue;
                }
            } else {
                double[] p = Samplers.softmax(row);
                if (i == k) {
                    next = draw(p); // every candidate accepted: the bonus token
                } else if (draft.hasProbabilities()) {
                    int x = draft.token(i);
                    double[] q = draft.probabilities()[i];
                    double px = x < p.length ? p[x] : 0;
                    double qx = x < q.length ? q[x] : 0;
                    // accept with probability min(1, p/q); u < p/q avoids dividing by a zero q
                    if (rng.nextDouble() * qx < px) {
                        out[i] = x;
                        continue;
                    }
                    next = draw(residual(p, q));
                } else {
                    // a draft without probabilities proposes x with certainty (q = one-hot at x):
                    // min(1, p(x)) acceptance and the residual norm(p - onehot) are one draw from p
                    next = draw(p);
                    if (next == draft.token(i)) {
                        out[i] = next;
                        continue;
                    }
                }
            }
            out[i] = next;
            return Arrays.copyOf(out, i + 1);
        }
        throw new AssertionError("the bonus position always returns");
    }

    /** norm(max(0, p - q)); p itself if nothing is left (only by rounding, when p equals q). */
    private static double[] residual(double[] p, double[] q) {
        double[] r = new double[p.length];
        double sum = 0;
        for (int j = 0; j < p.length; j++) {
            r[j] = Math.max(0, p[j] - (j < q.length ? q[j] : 0));
            sum += r[j];
        }
        if (!(sum > 0)) {
            return p;
        }
        for (int j = 0; j < r.length; j++) {
            r[j] /= sum;
        }
        return r;
    }

    private int draw(double[] p) {
        return Samplers.drawFrom(p, rng.nextDouble());
    }

    /** Rounds run so far. */
    public int rounds() {
        return rounds;
    }

    /** Candidates proposed so far. */
    public long draftedTokens() {
        return drafted;
    }

    /** Candidates accepted so far. */
    public long acceptedTokens() {
        return accepted;
    }

    /** Nanoseconds spent in {@link DraftProposer#propose}. */
    public long draftNanos() {
        return draftNanos;
    }

    /** Nanoseconds spent in the target's forward passes and the verification. */
    public long targetNanos() {
        return targetNanos;
    }

    /** Frees the target's cache and closes the proposer. Does not throw. */
    @Override
    public void close() {
        try {
            proposer.close();
        } finally {
            cache.close();
        }
    }
}
