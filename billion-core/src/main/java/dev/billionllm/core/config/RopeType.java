package dev.billionllm.core.config;

/** Rotary embedding frequency schedules ({@code rope_type} in transformers' modeling_rope_utils). */
public enum RopeType {
    DEFAULT,
    /** Positions divided by {@code factor}. */
    LINEAR,
    /** Llama 3.1/3.2: low frequencies divided by {@code factor}, high ones kept, smooth in between. */
    LLAMA3
}
