package dev.billionllm.core.tokenize;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * A lower bound on the tokens a text encodes to, known without encoding it: no token of the
 * vocabulary covers more characters than its longest entry, so a text of {@code n} characters is
 * at least {@code n / longest} tokens. Lets a caller refuse a prompt that cannot fit the context
 * before tokenizing megabytes of it (issue 15: a 10 M-character prompt was tokenized, twice,
 * before the length check). A safety factor of 4 covers normalizers that shorten text.
 *
 * <pre>{@code
 * TextBounds.checkFits(text, tokenizer, config.maxPositionEmbeddings());
 * int[] ids = tokenizer.encode(text, true);
 * }</pre>
 */
public final class TextBounds {
    private static final int SAFETY = 4;
    private static final Map<Tokenizer, Integer> LONGEST = new WeakHashMap<>();

    private TextBounds() {}

    /** Characters of the longest vocabulary entry (at least 1); computed once per tokenizer. */
    public static int longestTokenChars(Tokenizer tokenizer) {
        synchronized (LONGEST) {
            return LONGEST.computeIfAbsent(tokenizer, t -> {
                int longest = 1;
                for (int id = 0; id < t.vocabSize(); id++) {
                    String s = t.idToToken(id);
                    if (s != null) {
                        longest = Math.max(longest, s.length());
                    }
                }
                return longest;
            });
        }
    }

    /**
     * @throws IllegalArgumentException if {@code text} certainly encodes to {@code maxTokens} or
     *     more tokens, naming the sizes and the fix
     */
    public static void checkFits(String text, Tokenizer tokenizer, int maxTokens) {
        long maxChars = (long) maxTokens * longestTokenChars(tokenizer) * SAFETY;
        if (text.length() > maxChars) {
            throw new IllegalArgumentException("the prompt has " + text.length() + " characters, far more than "
                    + maxTokens + " tokens (max_position_embeddings) can hold; shorten it (it was not tokenized)");
        }
    }
}
