package dev.billionllm.server;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of generated tokens under the model's raw distribution (before temperature,
 * penalties and truncation, as OpenAI reports them), for requests that ask for {@code logprobs}.
 *
 * <p>The generator does not hand out its logits, so this follows the generation with a second
 * KV cache of its own: it prefills the prompt once, then feeds each generated token as it
 * arrives. That costs one extra forward pass per token, paid only by requests that ask for
 * logprobs, and keeps the decoding path untouched. Not thread-safe; close it to free the cache.
 */
final class LogprobScorer implements AutoCloseable {
    private final CausalLM lm;
    private final int top;
    private final int vocab;
    private KvCache cache;
    private float[] next;

    /**
     * @param capacity prompt plus the most tokens that will be fed
     * @param top how many alternatives each token reports
     */
    LogprobScorer(CausalLM lm, int[] prompt, int capacity, int top) {
        this.lm = lm;
        this.top = top;
        this.vocab = lm.usableVocabSize();
        this.cache = lm.newCache(1, Math.min(capacity, lm.config().maxPositionEmbeddings()));
        this.next = lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST).last(0);
    }

    /**
     * The log-probability of {@code tokenId} as the next token, with the {@code top} most likely
     * alternatives; then moves past it unless it is the last.
     */
    Scored score(int tokenId, boolean last) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, next[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(next[i] - max);
        }
        double logZ = max + Math.log(sum);
        List<Alternative> alternatives = new ArrayList<>(top);
        for (int id : topIds(next, Math.min(top, vocab), vocab)) {
            alternatives.add(new Alternative(id, next[id] - logZ));
        }
        double logprob = tokenId < vocab ? next[tokenId] - logZ : Double.NEGATIVE_INFINITY;
        if (!last) {
            next = lm.forward(TokenBatch.of(tokenId), cache, LogitsMode.LAST).last(0);
        }
        return new Scored(tokenId, logprob, alternatives);
    }

    /**
     * The {@code k} ids of the largest logits, largest first, ties by lower id. One pass that keeps
     * the best {@code k} in order: an id is compared with the k-th best only, so this is about one
     * comparison per id, where picking the best k times read the vocabulary k times per token.
     */
    static int[] topIds(float[] logits, int k, int vocab) {
        int[] best = new int[k];
        int filled = 0;
        for (int i = 0; i < vocab && k > 0; i++) {
            if (filled == k && !(logits[i] > logits[best[k - 1]])) {
                continue;
            }
            int at = filled < k ? filled++ : k - 1;
            // move past every kept id with a strictly smaller logit: equal ones stay ahead (lower id)
            while (at > 0 && logits[i] > logits[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        return best;
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    record Alternative(int tokenId, double logprob) {}

    record Scored(int tokenId, double logprob, List<Alternative> top) {}
}
