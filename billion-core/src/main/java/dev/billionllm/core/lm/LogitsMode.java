package dev.billionllm.core.lm;

/** Which positions of a forward pass to copy out of the backend. */
public enum LogitsMode {
    /** Only the last position of each row: all a decoder step needs, and vocab-times cheaper. */
    LAST,
    /** Every position (scoring, perplexity, verification of draft tokens). */
    ALL
}
