package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.arch.RopeSchedule;
import dev.billionllm.core.config.RopeConfig;

/**
 * Rotary position embeddings on DJL arrays: cos/sin tensors for a step's positions and the rotation
 * itself. The frequency schedule, the angle rule and the rotate-half layout are
 * {@link RopeSchedule}'s, shared with the ONNX exporter.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final int rotaryDim;
    private final RopeSchedule schedule;

    public RotaryEmbedding(RopeConfig rope, int headDim) {
        this.headDim = headDim;
        this.schedule = new RopeSchedule(rope, headDim);
        this.rotaryDim = schedule.rotaryDim();
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
                    float angle = schedule.angle(positions[b][t], i);
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
