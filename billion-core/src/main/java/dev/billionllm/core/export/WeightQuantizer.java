package dev.billionllm.core.export;

/**
 * Symmetric weight quantisation for the layouts ONNX Runtime's contrib operators read. Weights
 * come as Hugging Face stores a linear layer: {@code [out, in]} row-major ({@code n} rows of
 * {@code k}).
 */
final class WeightQuantizer {

    private WeightQuantizer() {}

    /**
     * int8 with a scale per output channel.
     *
     * @param values B for {@code DynamicQuantizeMatMul}: {@code [k, n]} (transposed); signed levels
     *     in [-maxLevel, maxLevel], or for {@link Int8Encoding#U8} unsigned bytes {@code level + 128}
     * @param scales {@code [n]}: value = level * scale
     * @param encoding how the levels are stored
     */
    record Int8(byte[] values, float[] scales, Int8Encoding encoding) {

        /** The stored level of row {@code row}, column {@code col} of {@code [n, k]}, without zero point. */
        int level(int row, int col, int n) {
            int b = values[col * n + row];
            return encoding == Int8Encoding.U8 ? (b & 0xFF) - 128 : b;
        }
    }

    /**
     * 4-bit blocks as {@code MatMulNBits} reads them.
     *
     * @param packed {@code [n, blocks, blockSize / 2]}: element j of a block in byte j / 2, low
     *     nibble first
     * @param scales {@code [n * blocks]}: value = (q - 8) * scale
     */
    record Int4(byte[] packed, float[] scales, int blocks) {}

    /** {@link #int8(float[], int, int, Int8Encoding)} with the portable default, {@link Int8Encoding#U8}. */
    static Int8 int8(float[] w, int n, int k) {
        return int8(w, n, k, Int8Encoding.U8);
    }

    static Int8 int8(float[] w, int n, int k, Int8Encoding encoding) {
        checkSize(w, n, k);
        int maxLevel = encoding.maxLevel();
        int offset = encoding == Int8Encoding.U8 ? 128 : 0;
        byte[] q = new byte[n * k];
        float[] scales = new float[n];
        for (int row = 0; row < n; row++) {
            float max = 0;
            for (int c = 0; c < k; c++) {
                max = Math.max(max, Math.abs(w[row * k + c]));
            }
            float scale = max / maxLevel;
            scales[row] = scale;
            float inv = scale == 0 ? 0 : 1 / scale;
            for (int c = 0; c < k; c++) {
                int v = Math.round(w[row * k + c] * inv);
                q[c * n + row] = (byte) (Math.max(-maxLevel, Math.min(maxLevel, v)) + offset);
            }
        }
        return new Int8(q, scales, encoding);
    }

    static Int4 int4(float[] w, int n, int k, int blockSize) {
        checkSize(w, n, k);
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("int4 block size must be a power of two >= 16, got " + blockSize);
        }
        int blocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize / 2;
        byte[] packed = new byte[n * blocks * blob];
        float[] scales = new float[n * blocks];
        for (int row = 0; row < n; row++) {
            for (int b = 0; b < blocks; b++) {
                int start = b * blockSize;
                int end = Math.min(k, start + blockSize);
                // The value of largest magnitude maps to -8 exactly (as llama.cpp's Q4_0 does), so
                // the 16 levels cover it without clipping; the scale keeps its sign.
                float extreme = 0;
                for (int c = start; c < end; c++) {
                    float v = w[row * k + c];
                    if (Math.abs(v) > Math.abs(extreme)) {
                        extreme = v;
                    }
                }
                float scale = extreme == 0 ? 0f : extreme / -8f;
                scales[row * blocks + b] = scale;
                float inv = scale == 0 ? 0 : 1 / scale;
                int base = (row * blocks + b) * blob;
                for (int c = start; c < end; c++) {
                    int q = Math.max(0, Math.min(15, Math.round(w[row * k + c] * inv) + 8));
                    int j = c - start;
                    packed[base + j / 2] |= (byte) ((j & 1) == 0 ? q : q << 4);
                }
                // Padding past k stays at level 8, which is zero.
                for (int j = end - start; j < blockSize; j++) {
                    packed[base + j / 2] |= (byte) ((j & 1) == 0 ? 8 : 8 << 4);
                }
            }
        }
        return new Int4(packed, scales, blocks);
    }

    /** Dequantises {@link #int4} output back to {@code [n, k]} (for tests and error reports). */
    static float[] dequantize(Int4 q, int n, int k, int blockSize) {
        float[] w = new float[n * k];
        int blob = blockSize / 2;
        for (int row = 0; row < n; row++) {
            for (int c = 0; c < k; c++) {
                int b = c / blockSize;
                int j = c % blockSize;
                int x = q.packed()[(row * q.blocks() + b) * blob + j / 2] & 0xFF;
                int level = (j & 1) == 0 ? x & 0xF : x >>> 4;
                w[row * k + c] = (level - 8) * q.scales()[row * q.blocks() + b];
            }
        }
        return w;
    }

    /** Dequantises {@link #int8} output back to {@code [n, k]}. */
    static float[] dequantize(Int8 q, int n, int k) {
        float[] w = new float[n * k];
        for (int row = 0; row < n; row++) {
            for (int c = 0; c < k; c++) {
                w[row * k + c] = q.level(row, c, n) * q.scales()[row];
            }
        }
        return w;
    }

    private static void checkSize(float[] w, int n, int k) {
        if ((long) n * k != w.length) {
            throw new IllegalArgumentException("weight has " + w.length + " values, expected " + n + " x " + k);
        }
    }
}
