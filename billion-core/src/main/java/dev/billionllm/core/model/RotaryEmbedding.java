package dev.billionllm.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.config.RopeConfig;

/**
 * Rotary position embeddings over the first {@code rotaryDim} dimensions of each head (all of them
 * for llama; {@code partial_rotary_factor} / {@code rotary_pct} of them for stablelm and gpt_neox),
 * with the inverse-frequency schedule of {@code rope_type}.
 *
 * <p>Layout: safetensors checkpoints from transformers use the rotate-half layout, where dimension
 * {@code i} is paired with {@code i + rotaryDim/2}. GGUF files permute q/k weights so that pairs are
 * adjacent (interleaved); a GGUF loader must undo that before using this class.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final int rotaryDim;
    private final float[] invFreq; // [rotaryDim / 2]

    public RotaryEmbedding(RopeConfig rope, int headDim) {
        this.headDim = headDim;
        this.rotaryDim = rope.rotaryDim(headDim);
        this.invFreq = inverseFrequencies(rope, rotaryDim);
    }

    /** Rotated dimensions per head. */
    public int rotaryDim() {
        return rotaryDim;
    }

    /**
     * Inverse frequencies {@code 1 / theta^(2i/dim)}, rescaled per rope type as in transformers'
     * {@code modeling_rope_utils}. Kept in float, as transformers computes them in float32.
     */
    static float[] inverseFrequencies(RopeConfig rope, int dim) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (1.0 / Math.pow(rope.theta(), (2.0 * i) / dim));
        }
        switch (rope.type()) {
            case DEFAULT:
                return inv;
            case LINEAR:
                // Positions divided by the factor is the same as frequencies divided by it.
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = (float) (inv[i] / rope.factor());
                }
                return inv;
            case LLAMA3: {
                // Wavelengths longer than the original context are slowed by `factor`, shorter than
                // original/high_freq_factor are kept, and the band in between is interpolated.
                double factor = rope.factor();
                double oldContext = rope.originalMaxPositionEmbeddings();
                double lowWavelen = oldContext / rope.lowFreqFactor();
                double highWavelen = oldContext / rope.highFreqFactor();
                for (int i = 0; i < inv.length; i++) {
                    double f = inv[i];
                    double wavelen = 2 * Math.PI / f;
                    double scaled = wavelen > lowWavelen ? f / factor : f;
                    if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                        double smooth = (oldContext / wavelen - rope.lowFreqFactor())
                                / (rope.highFreqFactor() - rope.lowFreqFactor());
                        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                    }
                    inv[i] = (float) scaled;
                }
                return inv;
            }
            default:
                throw new AssertionError(rope.type());
        }
    }

    /**
     * Cosines and sines for {@code positions [batch][seq]}, each {@code [batch, 1, seq, rotaryDim]}
     * (the 1 broadcasts over heads), in {@code manager}.
     */
    public NDList cosSin(int[][] positions, NDManager manager) {
        int batch = positions.length;
        int seq = positions[0].length;
        int half = rotaryDim / 2;
        float[] cos = new float[batch * seq * rotaryDim];
        float[] sin = new float[cos.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int o = (b * seq + t) * rotaryDim;
                for (int i = 0; i < half; i++) {
                    // The angle is rounded to float first, as transformers multiplies in float32.
                    float angle = positions[b][t] * invFreq[i];
                    float c = (float) Math.cos(angle);
                    float s = (float) Math.sin(angle);
                    cos[o + i] = c;
                    cos[o + half + i] = c;
                    sin[o + i] = s;
                    sin[o + half + i] = s;
                }
            }
        }
        Shape shape = new Shape(batch, 1, seq, rotaryDim);
        return new NDList(manager.create(cos, shape), manager.create(sin, shape));
    }

    /**
     * Rotates {@code x [batch, heads, seq, headDim]}: {@code x*cos + rotateHalf(x)*sin} on the
     * rotary dimensions; the rest of each head passes through unchanged.
     */
    public NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        if (rotaryDim == headDim) {
            return rotate(x, cos, sin);
        }
        NDList parts = x.split(new long[] {rotaryDim}, 3);
        return rotate(parts.get(0), cos, sin).concat(parts.get(1), -1);
    }

    private NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
