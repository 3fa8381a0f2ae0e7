package dev.billionllm.core.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The architecture families billion-llm implements, by their Hugging Face {@code model_type}. A
 * family is only a name: what it is (switches, tensor names) is a row of data in
 * {@link dev.billionllm.core.arch.Architectures}.
 */
public enum Family {
    LLAMA("llama"),
    STABLELM("stablelm"),
    GPT_NEOX("gpt_neox"),
    /** Qwen2 / Qwen2.5: llama with q/k/v biases (and usually tied embeddings). */
    QWEN2("qwen2");

    private final String modelType;

    Family(String modelType) {
        this.modelType = modelType;
    }

    /** The {@code model_type} value in config.json. */
    public String modelType() {
        return modelType;
    }

    /** Comma-separated list of supported {@code model_type} values, for error messages. */
    public static String supported() {
        return Arrays.stream(values()).map(Family::modelType).collect(Collectors.joining(", "));
    }

    /** Returns the family for a {@code model_type}, or null when it is not supported. */
    public static Family fromModelType(String modelType) {
        for (Family f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        return null;
    }
}
