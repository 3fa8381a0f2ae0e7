package dev.billionllm.core.lm;

import java.util.Arrays;

/**
 * Logits copied out of a backend, row-major {@code [batch, positions, vocab]}.
 *
 * @param batch rows
 * @param positions positions per row (1 for {@link LogitsMode#LAST})
 * @param vocab width of each vector ({@code config.vocabSize}, including padded ids)
 * @param values {@code batch * positions * vocab} floats
 */
public record Logits(int batch, int positions, int vocab, float[] values) {

    public Logits {
        if ((long) batch * positions * vocab != values.length) {
            throw new IllegalArgumentException("logits of shape [" + batch + ", " + positions + ", " + vocab
                    + "] need " + (long) batch * positions * vocab + " values, got " + values.length);
        }
    }

    /** Offset of row {@code b}, position {@code t} in {@link #values()}. */
    public int offset(int b, int t) {
        return (b * positions + t) * vocab;
    }

    /** A copy of the vector at row {@code b}, position {@code t}. */
    public float[] at(int b, int t) {
        int o = offset(b, t);
        return Arrays.copyOfRange(values, o, o + vocab);
    }

    /** A copy of the last position's vector of row {@code b}. */
    public float[] last(int b) {
        return at(b, positions - 1);
    }
}
