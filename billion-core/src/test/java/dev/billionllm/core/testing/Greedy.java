package dev.billionllm.core.testing;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;

/**
 * Greedy decoding written independently of {@code Samplers}, so backend tests check the models
 * against the goldens without relying on the generator code they are meant to support.
 */
public final class Greedy {

    private Greedy() {}

    /** Index of the largest of {@code v[offset .. offset + n)}; the first one on ties, like numpy. */
    public static int argmax(float[] v, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[offset + i] > v[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    /** Index of the largest value. */
    public static int argmax(float[] v) {
        return argmax(v, 0, v.length);
    }

    /**
     * Greedy decoding with the cache: prefill (left padding marked in {@code mask}), then one token
     * per row per step, never an id at or past {@code lm.usableVocabSize()}.
     *
     * @return {@code [rows][newTokens]} generated ids
     */
    public static int[][] decode(CausalLM lm, int[][] prompt, int[][] mask, int newTokens) {
        int rows = prompt.length;
        int[][] out = new int[rows][newTokens];
        try (KvCache cache = lm.newCache(rows, prompt[0].length + newTokens)) {
            Logits logits = lm.forward(TokenBatch.of(prompt, mask), cache, LogitsMode.LAST);
            for (int step = 0; step < newTokens; step++) {
                int[][] next = new int[rows][1];
                for (int b = 0; b < rows; b++) {
                    next[b][0] = argmax(logits.values(), logits.offset(b, 0), lm.usableVocabSize());
                    out[b][step] = next[b][0];
                }
                if (step + 1 < newTokens) {
                    logits = lm.forward(TokenBatch.of(next), cache, LogitsMode.LAST);
                }
            }
        }
        return out;
    }
}
