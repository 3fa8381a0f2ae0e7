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
     * Cosines and sines for {@code positions [batch][seq]}, each {@code [batch, 1, seq, headDim]}
     * (the 1 broadcasts over heads), in {@code manager}. Dimensions past {@code rotaryDim} get
     * cos 1 and sin 0, so that partial rotary needs no split of the head.
     */
    public NDList cosSin(int[][] positions, NDManager manager) {
        int batch = positions.length;
        int seq = positions[0].length;
        int half = rotaryDim / 2;
        float[] cos = new float[batch * seq * headDim];
        float[] sin = new float[cos.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int o = (b * seq + t) * headDim;
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
                for (int i = rotaryDim; i < headDim; i++) {
                    cos[o + i] = 1f;
                }
            }
        }
        Shape shape = new Shape(batch, 1, seq, headDim);
        return new NDList(manager.create(cos, shape), manager.create(sin, shape));
    }

    /**
     * The {@code [headDim, headDim]} matrix {@code R} with {@code x R = rotateHalf(x)} on the rotary
     * dimensions and 0 elsewhere: {@code rotateHalf(x) = cat(-x[half:rot], x[:half])}. Each output is
     * one input times +-1, so the product is exact; it replaces split, negate and concatenate (three
     * engine calls) by one.
     */
    public NDArray rotateHalfMatrix(NDManager manager) {
        int half = rotaryDim / 2;
        float[] r = new float[headDim * headDim];
        for (int j = 0; j < half; j++) {
            r[(j + half) * headDim + j] = -1f; // out[j] = -x[j + half]
            r[j * headDim + j + half] = 1f; // out[j + half] = x[j]
        }
        return manager.create(r, new Shape(headDim, headDim));
    }

    /**
     * Rotates {@code x [batch, heads, seq, headDim]}: {@code x*cos + rotateHalf(x)*sin}, which leaves
     * dimensions past {@code rotaryDim} unchanged (cos 1, sin 0 there).
     *
     * @param rotateHalf {@link #rotateHalfMatrix}
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin, NDArray rotateHalf) {
        return x.matMul(rotateHalf).muli(sin).addi(x.mul(cos));
    }
}
