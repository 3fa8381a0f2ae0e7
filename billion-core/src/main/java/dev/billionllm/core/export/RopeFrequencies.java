package dev.billionllm.core.export;

import dev.billionllm.core.config.RopeConfig;

/**
 * Inverse frequencies of the rotary embedding, one per rotated pair, with the rope type's
 * scaling folded in (transformers' modeling_rope_utils). The graph multiplies them by the
 * positions at run time, so no table of {@code max_position_embeddings} rows (131072 for Llama
 * 3.2) is stored.
 */
final class RopeFrequencies {

    private RopeFrequencies() {}

    static float[] inverseFrequencies(RopeConfig rope, int rotaryDim) {
        int half = rotaryDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // transformers computes base ** (2i / dim) in float32.
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
     * Llama 3: wavelengths longer than {@code original / lowFreqFactor} are slowed by
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
