package dev.billionllm.core.lm;

import java.util.Arrays;

/**
 * New tokens for a forward pass: {@code [batch, seq]} ids and a mask of the same shape (1 = real
 * token, 0 = left padding). Positions are not passed: the model counts each row's real tokens in
 * its cache, which gives HF's {@code cumsum(attention_mask) - 1} for left-padded batches.
 */
public final class TokenBatch {
    private final int[][] ids;
    private final int[][] mask;

    private TokenBatch(int[][] ids, int[][] mask) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("a token batch needs at least one row");
        }
        int seq = ids[0].length;
        if (seq == 0) {
            throw new IllegalArgumentException("a token batch needs at least one token per row");
        }
        for (int b = 0; b < ids.length; b++) {
            if (ids[b].length != seq || mask[b].length != seq) {
                throw new IllegalArgumentException("row " + b + " has " + ids[b].length + " ids and "
                        + mask[b].length + " mask entries; every row needs " + seq);
            }
            for (int m : mask[b]) {
                if (m != 0 && m != 1) {
                    throw new IllegalArgumentException("mask values must be 0 or 1, got " + m);
                }
            }
        }
        this.ids = ids;
        this.mask = mask;
    }

    /** One row with no padding. */
    public static TokenBatch of(int... ids) {
        return of(new int[][] {ids});
    }

    /** Rows of equal length with no padding. */
    public static TokenBatch of(int[][] ids) {
        int[][] copy = deepCopy(ids);
        int[][] mask = new int[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            mask[b] = new int[ids[b].length];
            Arrays.fill(mask[b], 1);
        }
        return new TokenBatch(copy, mask);
    }

    /** Rows with an explicit mask (0 marks padding). */
    public static TokenBatch of(int[][] ids, int[][] mask) {
        return new TokenBatch(deepCopy(ids), deepCopy(mask));
    }

    /**
     * Left-pads rows of different lengths to the longest one with {@code padId}, as HF tokenizers
     * do with {@code padding_side="left"}.
     */
    public static TokenBatch leftPadded(int[][] rows, int padId) {
        int seq = 0;
        for (int[] r : rows) {
            seq = Math.max(seq, r.length);
        }
        int[][] ids = new int[rows.length][seq];
        int[][] mask = new int[rows.length][seq];
        for (int b = 0; b < rows.length; b++) {
            int pad = seq - rows[b].length;
            Arrays.fill(ids[b], 0, pad, padId);
            System.arraycopy(rows[b], 0, ids[b], pad, rows[b].length);
            Arrays.fill(mask[b], pad, seq, 1);
        }
        return new TokenBatch(ids, mask);
    }

    private static int[][] deepCopy(int[][] a) {
        int[][] c = new int[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    public int batchSize() {
        return ids.length;
    }

    public int length() {
        return ids[0].length;
    }

    /** Id at row {@code b}, position {@code t}. */
    public int id(int b, int t) {
        return ids[b][t];
    }

    /** 1 for a real token, 0 for padding. */
    public int mask(int b, int t) {
        return mask[b][t];
    }

    /** All ids row after row, as the engines take them ({@code [batch * length]}, int64). */
    public long[] flatIds() {
        int seq = length();
        long[] out = new long[ids.length * seq];
        for (int b = 0; b < ids.length; b++) {
            for (int t = 0; t < seq; t++) {
                out[b * seq + t] = ids[b][t];
            }
        }
        return out;
    }

    /** A copy of row {@code b}'s ids. */
    public int[] row(int b) {
        return ids[b].clone();
    }

    /** A copy of row {@code b}'s mask. */
    public int[] maskRow(int b) {
        return mask[b].clone();
    }
}
