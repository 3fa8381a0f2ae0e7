package dev.billionllm.speculative;

import dev.billionllm.core.generate.Draft;
import dev.billionllm.core.generate.DraftProposer;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.Arrays;

/**
 * A draft model with another tokenizer, as transformers' universal assisted decoding: the target's
 * context is decoded to text and re-encoded in the draft's ids, the draft continues it, and the
 * continuation's text is re-encoded in the target's ids. Greedy only: the draft has no probability
 * for the target's tokens, so only the target's own pick can verify them.
 */
final class CrossTokenizerProposer implements DraftProposer {
    private final DraftModelProposer inner;
    private final Tokenizer target;
    private final Tokenizer draft;
    private final int usableVocab;

    CrossTokenizerProposer(DraftModelProposer inner, Tokenizer target, Tokenizer draft, int usableVocab) {
        this.inner = inner;
        this.target = target;
        this.draft = draft;
        this.usableVocab = usableVocab;
    }

    @Override
    public Draft propose(int[] context, int maxTokens) {
        String text = target.decode(context, true);
        int[] draftContext = draft.encode(text, true);
        if (draftContext.length == 0) {
            return Draft.of();
        }
        Draft d = inner.propose(draftContext, maxTokens);
        if (d.size() == 0) {
            return Draft.of();
        }
        int[] all = Arrays.copyOf(draftContext, draftContext.length + d.size());
        System.arraycopy(d.tokens(), 0, all, draftContext.length, d.size());
        String full = draft.decode(all, true);
        if (!full.startsWith(text) || full.length() == text.length()) {
            return Draft.of(); // the draft's tokens re-decode the context differently: nothing to propose
        }
        int[] candidates;
        int[] base = target.encode(text, true);
        int[] extended = target.encode(full, true);
        if (Arrays.equals(base, context) && startsWith(extended, base)) {
            candidates = Arrays.copyOfRange(extended, base.length, extended.length);
        } else {
            candidates = target.encode(full.substring(text.length()), false);
        }
        int n = Math.min(candidates.length, maxTokens);
        for (int i = 0; i < n; i++) {
            if (candidates[i] < 0 || candidates[i] >= usableVocab) {
                n = i;
                break;
            }
        }
        return Draft.of(Arrays.copyOf(candidates, n));
    }

    private static boolean startsWith(int[] a, int[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public void onVerified(Draft proposed, int accepted) {
        inner.onVerified(proposed, accepted);
    }

    @Override
    public void close() {
        inner.close();
    }
}
