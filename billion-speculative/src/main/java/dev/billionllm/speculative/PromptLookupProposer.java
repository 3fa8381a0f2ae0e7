package dev.billionllm.speculative;

import dev.billionllm.core.generate.Draft;
import dev.billionllm.core.generate.DraftProposer;
import java.util.Arrays;

/**
 * Prompt lookup decoding (transformers' {@code PromptLookupCandidateGenerator}): finds the last
 * {@code n} ids of the context earlier in the context, for {@code n} from {@code maxNgramSize}
 * down to 1, and proposes what followed the earliest match. No model, no probabilities: the
 * verifier accepts a candidate when the target's own pick equals it.
 */
final class PromptLookupProposer implements DraftProposer {
    private final int maxNgramSize;
    private final int usableVocab;

    /**
     * @param maxNgramSize longest n-gram matched ({@code max_matching_ngram_size})
     * @param usableVocab ids at or past this are never proposed
     */
    PromptLookupProposer(int maxNgramSize, int usableVocab) {
        this.maxNgramSize = maxNgramSize;
        this.usableVocab = usableVocab;
    }

    @Override
    public Draft propose(int[] context, int maxTokens) {
        int len = context.length;
        for (int n = Math.min(maxNgramSize, len - 1); n >= 1; n--) {
            // windows that end before the final n-gram itself
            for (int start = 0; start + n < len; start++) {
                if (matches(context, start, len - n, n)) {
                    int from = start + n;
                    int to = Math.min(from + maxTokens, len);
                    int[] tokens = Arrays.copyOfRange(context, from, to);
                    for (int i = 0; i < tokens.length; i++) {
                        if (tokens[i] >= usableVocab) {
                            return Draft.of(Arrays.copyOf(tokens, i));
                        }
                    }
                    return Draft.of(tokens);
                }
            }
        }
        return Draft.of();
    }

    private static boolean matches(int[] a, int i, int j, int n) {
        for (int t = 0; t < n; t++) {
            if (a[i + t] != a[j + t]) {
                return false;
            }
        }
        return true;
    }
}
