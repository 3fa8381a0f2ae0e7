package dev.billionllm.core.generate;

/**
 * One generated token, as streaming delivers it.
 *
 * @param row the prompt's index in a batch (0 for a single prompt)
 * @param index the token's index among the generated tokens of its row (0 = the first)
 * @param tokenId the token
 * @param text the text this token completes: possibly empty (part of a UTF-8 character, a special
 *     token that is skipped, or text held back because it could begin a stop string); the texts of
 *     a row's events concatenate to its {@link GenerationResult#text()}
 * @param finishReason the reason its row ends with this token, or null when it goes on
 */
public record TokenEvent(int row, int index, int tokenId, String text, FinishReason finishReason) {

    /** Whether this is the last token of its row. */
    public boolean isLast() {
        return finishReason != null;
    }
}
