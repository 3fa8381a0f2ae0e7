package dev.billionllm.core.config;

/**
 * Rotary position embedding parameters.
 *
 * @param type frequency schedule
 * @param theta base of the inverse frequencies ({@code rope_theta} / {@code rotary_emb_base})
 * @param partialRotaryFactor fraction of each head's dimensions that is rotated (1 for llama)
 * @param factor scaling factor (LINEAR, LLAMA3); 1 otherwise
 * @param lowFreqFactor LLAMA3 only
 * @param highFreqFactor LLAMA3 only
 * @param originalMaxPositionEmbeddings LLAMA3 only: the context the model was pre-trained with
 */
public record RopeConfig(
        RopeType type,
        double theta,
        double partialRotaryFactor,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    public RopeConfig {
        if (type == null) {
            throw new IllegalArgumentException("rope type must not be null");
        }
        if (!(theta > 0)) {
            throw new IllegalArgumentException("rope_theta must be > 0, got " + theta);
        }
        if (!(partialRotaryFactor > 0 && partialRotaryFactor <= 1)) {
            throw new IllegalArgumentException(
                    "partial_rotary_factor must be in (0, 1], got " + partialRotaryFactor);
        }
    }

    /** Plain rotary embedding over the whole head. */
    public static RopeConfig simple(double theta) {
        return new RopeConfig(RopeType.DEFAULT, theta, 1.0, 1.0, 1.0, 1.0, 0);
    }

    /** Number of rotated dimensions of a head of size {@code headDim} (even, as transformers computes it). */
    public int rotaryDim(int headDim) {
        return (int) (headDim * partialRotaryFactor);
    }
}
