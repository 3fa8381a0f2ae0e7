package dev.billionllm.bench.score;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * lm-evaluation-harness's {@code loglikelihood} requests on a {@link CausalLM}.
 *
 * <p>Strings are turned into ids by {@link #encodePair} exactly as the harness's
 * {@code TemplateLM._encode_pair} does: trailing whitespace of the context moves to the
 * continuation, {@code context + continuation} is encoded whole, and the continuation is whatever
 * follows the first {@code len(encode(context))} ids. Encoding the two halves separately would
 * differ wherever the tokenizer merges across the boundary. Where such a merge leaves nothing after
 * those ids (the harness would then score an empty continuation), the split is made where the whole
 * encoding departs from the context's instead.
 *
 * <pre>{@code
 * LogLikelihood ll = new LogLikelihood(lm);
 * EncodedPair pair = LogLikelihood.encodePair(tokenizer, "Question...\nAnswer:", " A", true);
 * double score = ll.score(pair).logLikelihood();
 * }</pre>
 */
public final class LogLikelihood {

    private final CausalLM lm;
    private final int maxLength;

    /** Scores with {@code lm}, truncating inputs on the left to its {@code max_position_embeddings}. */
    public LogLikelihood(CausalLM lm) {
        this(lm, lm.config().maxPositionEmbeddings());
    }

    /**
     * @param maxLength longest input the model is given (the harness's {@code max_length}); longer
     *     requests lose their leftmost tokens
     */
    public LogLikelihood(CausalLM lm, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
        }
        this.lm = lm;
        this.maxLength = maxLength;
    }

    /**
     * Tokenizes a request as the harness does for a decoder-only model.
     *
     * @param addSpecialTokens whether the tokenizer adds its special tokens (BOS) to both encodings;
     *     {@code true} is the harness's behaviour since it delegates BOS to the tokenizer
     *     ({@code add_bos_token=None}), {@code false} its older default
     */
    public static EncodedPair encodePair(Tokenizer tokenizer, String context, String continuation,
            boolean addSpecialTokens) {
        if (context.isEmpty()) {
            // The harness conditions an empty context on its prefix token (BOS, else EOS).
            int prefix = prefixTokenId(tokenizer);
            return new EncodedPair(new int[] {prefix}, tokenizer.encode(continuation, false));
        }
        int keep = context.length();
        while (keep > 0 && Character.isWhitespace(context.charAt(keep - 1))) {
            keep--;
        }
        String cont = context.substring(keep) + continuation;
        String ctx = context.substring(0, keep);
        int[] whole = tokenizer.encode(ctx + cont, addSpecialTokens);
        int[] contextIds = tokenizer.encode(ctx, addSpecialTokens);
        if (whole.length > contextIds.length) {
            return new EncodedPair(contextIds, Arrays.copyOfRange(whole, contextIds.length, whole.length));
        }
        // A merge across the boundary made the whole encoding no longer than the context's, where the
        // harness would score an empty continuation. Split where the two encodings part instead.
        int common = 0;
        while (common < whole.length && common < contextIds.length && whole[common] == contextIds[common]) {
            common++;
        }
        if (common == 0 || common == whole.length) {
            throw new IllegalArgumentException("continuation \"" + continuation + "\" adds no tokens after a context of "
                    + contextIds.length + " tokens");
        }
        return new EncodedPair(Arrays.copyOf(whole, common), Arrays.copyOfRange(whole, common, whole.length));
    }

    private static int prefixTokenId(Tokenizer tokenizer) {
        for (String token : new String[] {tokenizer.bosToken(), tokenizer.eosToken()}) {
            if (token != null && tokenizer.tokenToId(token) >= 0) {
                return tokenizer.tokenToId(token);
            }
        }
        throw new IllegalArgumentException("an empty context needs a BOS or EOS token, and the tokenizer has neither");
    }

    /** Scores one request with one forward pass over {@code context + continuation[:-1]}. */
    public ContinuationScore score(EncodedPair pair) {
        int[] ctx = pair.context();
        int[] cont = pair.continuation();
        int[] all = concat(ctx, cont);
        // The harness keeps the last max_length + 1 tokens and feeds all but the last one.
        int start = Math.max(0, all.length - (maxLength + 1));
        int[] input = Arrays.copyOfRange(all, start, all.length - 1);
        try (KvCache cache = lm.newCache(1, input.length)) {
            Logits logits = lm.forward(TokenBatch.of(input), cache, LogitsMode.ALL);
            return sum(logits, input.length - cont.length, cont, 0);
        }
    }

    /**
     * Scores several continuations of one context (the choices of a multiple-choice question),
     * running the context once and each continuation's own tokens after a copy of its cache. Equal
     * to calling {@link #score} per continuation, up to floating-point rounding.
     */
    public List<ContinuationScore> scoreChoices(int[] context, List<int[]> continuations) {
        int longest = 0;
        for (int[] c : continuations) {
            if (c.length == 0) {
                throw new IllegalArgumentException("a continuation has no tokens to score");
            }
            longest = Math.max(longest, c.length);
        }
        if (context.length + longest - 1 > maxLength) {
            // Truncated inputs differ per choice: score each alone, as the harness does.
            List<ContinuationScore> out = new ArrayList<>();
            for (int[] c : continuations) {
                out.add(score(new EncodedPair(context, c)));
            }
            return out;
        }
        List<ContinuationScore> out = new ArrayList<>();
        try (KvCache cache = lm.newCache(1, context.length + longest - 1)) {
            Logits first = lm.forward(TokenBatch.of(context), cache, LogitsMode.LAST);
            for (int[] c : continuations) {
                if (c.length == 1) {
                    out.add(sum(first, 0, c, 0));
                    continue;
                }
                try (KvCache branch = cache.copy()) {
                    Logits rest = lm.forward(TokenBatch.of(Arrays.copyOf(c, c.length - 1)), branch, LogitsMode.ALL);
                    ContinuationScore head = sum(first, 0, new int[] {c[0]}, 0);
                    ContinuationScore tail = sum(rest, 0, c, 1);
                    out.add(new ContinuationScore(head.logLikelihood() + tail.logLikelihood(),
                            head.greedy() && tail.greedy(), c.length));
                }
            }
        }
        return out;
    }

    /**
     * Sums {@code log p(tokens[from + i])} over positions {@code firstPosition + i} of row 0, for
     * every {@code i} while a token is left.
     */
    private static ContinuationScore sum(Logits logits, int firstPosition, int[] tokens, int from) {
        double total = 0;
        boolean greedy = true;
        int v = logits.vocab();
        for (int i = from; i < tokens.length; i++) {
            int o = logits.offset(0, firstPosition + i - from);
            total += LogProbs.logProb(logits.values(), o, v, tokens[i]);
            greedy &= LogProbs.argmax(logits.values(), o, v) == tokens[i];
        }
        return new ContinuationScore(total, greedy, tokens.length - from);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
