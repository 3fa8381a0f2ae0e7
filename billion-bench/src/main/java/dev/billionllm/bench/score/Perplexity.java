package dev.billionllm.bench.score;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.Arrays;

/**
 * Sliding-window perplexity, following Hugging Face's "Perplexity of fixed-length models" recipe:
 * windows of at most {@code window} tokens start every {@code stride} tokens; in each window only
 * the tokens not scored by an earlier window are targets (the rest are context, labels -100), and
 * the mean NLL is weighted by the tokens each window scores. With {@code stride == window} the
 * windows are disjoint; a smaller stride gives every scored token more context.
 *
 * <p>One deliberate difference: the recipe's code weights a window by its unmasked labels minus
 * one, which undercounts by one token each window that has masked context. Here each token's NLL
 * is summed and divided by the number of tokens actually scored, which is the quantity that
 * weighting approximates; the two agree when the whole text fits one window.
 *
 * <pre>{@code
 * PerplexityResult r = Perplexity.ofText(lm, tokenizer, Files.readString(file), 1024, 512);
 * }</pre>
 */
public final class Perplexity {

    private Perplexity() {}

    /** Encodes {@code text} with special tokens, as the recipe's {@code tokenizer(text)} does, and scores it. */
    public static PerplexityResult ofText(CausalLM lm, Tokenizer tokenizer, String text, int window, int stride) {
        return of(lm, tokenizer.encode(text, true), window, stride);
    }

    /**
     * Scores {@code tokens}.
     *
     * @param window longest input of one forward pass (at least 2)
     * @param stride distance between window starts, from 1 to {@code window}
     */
    public static PerplexityResult of(CausalLM lm, int[] tokens, int window, int stride) {
        if (window < 2) {
            throw new IllegalArgumentException("window must be >= 2 tokens, got " + window);
        }
        if (stride < 1 || stride > window) {
            throw new IllegalArgumentException("stride must be between 1 and the window (" + window + "), got " + stride
                    + "; a stride past the window would leave tokens unscored");
        }
        if (tokens.length < 2) {
            throw new IllegalArgumentException("perplexity needs at least 2 tokens, got " + tokens.length);
        }
        double nll = 0;
        long scored = 0;
        int windows = 0;
        int previousEnd = 0;
        for (int begin = 0; begin < tokens.length; begin += stride) {
            int end = Math.min(begin + window, tokens.length);
            // Targets are the tokens past the previous window's end; earlier ones are context only.
            int firstTarget = Math.max(begin + 1, previousEnd);
            int[] input = Arrays.copyOfRange(tokens, begin, end);
            try (KvCache cache = lm.newCache(1, input.length)) {
                Logits logits = lm.forward(TokenBatch.of(input), cache, LogitsMode.ALL);
                for (int j = firstTarget; j < end; j++) {
                    // Position j - 1 of the window predicts token j.
                    nll -= LogProbs.logProb(logits.values(), logits.offset(0, j - 1 - begin), logits.vocab(), tokens[j]);
                    scored++;
                }
            }
            windows++;
            previousEnd = end;
            if (end == tokens.length) {
                break;
            }
        }
        double mean = nll / scored;
        return new PerplexityResult(Math.exp(mean), mean, scored, windows, window, stride);
    }
}
