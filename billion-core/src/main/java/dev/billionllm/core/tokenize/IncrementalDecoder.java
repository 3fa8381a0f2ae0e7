package dev.billionllm.core.tokenize;

/**
 * Turns a stream of token ids into text deltas. A byte-fallback token can carry part of a UTF-8
 * character; such bytes are held back until the character is complete, so every delta is valid
 * text and the deltas concatenate to {@code decode(allIds)}.
 */
public interface IncrementalDecoder {

    /** Adds one token and returns the new text it completes (possibly empty). */
    String add(int id);

    /** Text still held back at the end of the stream (possibly an incomplete character). */
    String flush();
}
