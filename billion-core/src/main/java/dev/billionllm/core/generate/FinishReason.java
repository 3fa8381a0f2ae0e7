package dev.billionllm.core.generate;

/** Why a generation ended. */
public enum FinishReason {
    /** {@link GenerationConfig#maxNewTokens()} tokens were generated. */
    LENGTH,
    /** An eos id was generated (it is the last of the output ids). */
    EOS,
    /** A stop string appeared in the text (the text ends right before it). */
    STOP_STRING,
    /** The {@link CancellationToken} was cancelled, or the stream was closed early. */
    CANCELLED,
    /** The prompt and the generated tokens filled the model's {@code max_position_embeddings}. */
    CONTEXT_FULL
}
