package dev.billionllm.core.config;

/** Normalisation used before attention/MLP and at the end of the stack. */
public enum NormKind {
    /** {@code x / sqrt(mean(x^2) + eps) * weight} (llama). */
    RMS_NORM,
    /** {@code (x - mean) / sqrt(var + eps) * weight + bias} (stablelm, gpt_neox). */
    LAYER_NORM
}
