package dev.billionllm.core.arch;

import dev.billionllm.core.config.RopeConfig;

/**
 * The rotary embedding's frequencies, written once for both backends: one inverse frequency per
 * rotated pair with the {@code rope_type}'s scaling folded in (transformers'
 * {@code modeling_rope_utils}), and the angle {@code position * invFreq}. Arithmetic follows
 * transformers' float32: the exponent {@code 2i / dim} and every scaling step are rounded to
 * float, as the tensors there are float32.
 *
 * <p>Layout: safetensors checkpoints from transformers use the rotate-half layout, where
 * dimension {@code i} of a head is paired with {@code i + rotaryDim / 2}; GGUF files permute q/k
 * weights so that pairs are adjacent (interleaved), which a GGUF loader would undo first.
 * Dimensions past {@code rotaryDim} (partial rotary) pass through unrotated.
 *
 * <pre>{@code
 * RopeSchedule rope = new RopeSchedule(config.rope(), config.headDim());
 * float angle = rope.angle(position, pair);   // cos and sin of it rotate pair (pair, pair + rotaryDim/2)
 * }</pre>
 */
public final class RopeSchedule {

    private final int rotaryDim;
    private final float[] invFreq;

    public RopeSchedule(RopeConfig rope, int headDim) {
        this.rotaryDim = rope.rotaryDim(headDim);
        this.invFreq = inverseFrequencies(rope, rotaryDim);
    }

    /** Rotated dimensions per head (even). */
    public int rotaryDim() {
        return rotaryDim;
    }

    /** Rotated pairs per head, {@code rotaryDim / 2}. */
    public int pairs() {
        return invFreq.length;
    }

    /** A copy of the inverse frequencies, {@code [rotaryDim / 2]}. */
    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** The angle of {@code pair} at {@code position}: the float32 product transformers takes. */
    public float angle(int position, int pair) {
        return position * invFreq[pair];
    }

    /**
     * Inverse frequencies {@code 1 / theta^(2i / dim)} for {@code i < dim / 2}, rescaled per rope
     * type.
     */
    public static float[] inverseFrequencies(RopeConfig rope, int rotaryDim) {
        int half = rotaryDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // transformers: base ** (arange(0, dim, 2).float() / dim), a float32 exponent.
            float exponent = (float) (2 * i) / rotaryDim;
            inv[i] = (float) (1.0 / Math.pow(rope.theta(), exponent));
        }
        switch (rope.type()) {
            case DEFAULT:
                return inv;
            case LINEAR:
                // Dividing positions by the factor is the same as dividing the frequencies.
                for (int i = 0; i < half; i++) {
                    inv[i] = (float) (inv[i] / rope.factor());
                }
                return inv;
            case LLAMA3:
                return llama3(rope, inv);
            default:
                throw new AssertionError(rope.type());
        }
    }

    /**
     * Llama 3.1/3.2: wavelengths longer than {@code original / lowFreqFactor} are slowed by
     * {@code factor}, shorter than {@code original / highFreqFactor} are kept, and the band in
     * between is interpolated.
     */
    private static float[] llama3(RopeConfig rope, float[] inv) {
        double original = rope.originalMaxPositionEmbeddings();
        double lowWavelen = original / rope.lowFreqFactor();
        double highWavelen = original / rope.highFreqFactor();
        float[] out = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            float scaled = wavelen > lowWavelen ? (float) (inv[i] / rope.factor()) : inv[i];
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium) {
                double smooth = (original / wavelen - rope.lowFreqFactor())
                        / (rope.highFreqFactor() - rope.lowFreqFactor());
                scaled = (float) ((1 - smooth) * scaled / rope.factor() + smooth * scaled);
            }
            out[i] = scaled;
        }
        return out;
    }
}
