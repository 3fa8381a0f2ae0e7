package dev.billionllm.core.config;

/** Shape of the feed-forward block. */
public enum MlpKind {
    /** {@code down(act(gate(x)) * up(x))} (llama, stablelm). */
    GATED,
    /** {@code down(act(up(x)))} with biases (gpt_neox). */
    PLAIN
}
