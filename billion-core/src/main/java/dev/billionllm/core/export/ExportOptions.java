package dev.billionllm.core.export;

/**
 * How {@link OnnxExporter} stores weights.
 *
 * <pre>{@code
 * ExportOptions int4 = ExportOptions.defaults().withPrecision(Precision.INT4).withBlockSize(32);
 * }</pre>
 *
 * @param precision linear-layer weights (default {@link Precision#FP32}); the token embedding is
 *     always fp32, as its lookup costs nothing and it dominates quality on small vocabularies
 * @param blockSize int4 only: weights per scale along the input dimension, a power of two
 *     {@code >= 16} (default {@value #DEFAULT_BLOCK_SIZE})
 * @param accuracyLevel int4 only: {@code MatMulNBits} accuracy_level, 0 to 4 (default 4: the
 *     activations are quantised to int8, which ONNX Runtime runs several times faster)
 * @param lmHeadPrecision the output projection's precision, or null for {@code precision}
 * @param fusedRotary apply rotary embeddings with ONNX Runtime's {@code com.microsoft.RotaryEmbedding}
 *     and a cos/sin table of {@code max_position_embeddings} rows (default true), instead of
 *     standard operators computing cos/sin from the positions
 * @param fusedAttention attention as ONNX Runtime's {@code com.microsoft.GroupQueryAttention} (default
 *     true: int8 prefill about 10% faster, decode the same), else standard operators and an explicit
 *     mask. Its
 *     CPU kernel has no mask, so the graph moves each row's leading padding behind its tokens; the
 *     ONNX backend refuses the one layout that cannot work, padding between two new tokens of a row
 *     (see {@code docs/export.md})
 * @param skipNorm RMSNorm after a residual add as {@code com.microsoft.SkipSimplifiedLayerNormalization},
 *     which adds and normalises in one pass (default true); false writes the Add and the
 *     Pow/ReduceMean/Sqrt/Div pattern, which ONNX Runtime fuses only into {@code SimplifiedLayerNormalization}
 * @param int8Encoding int8 only: how weights are stored (default {@link Int8Encoding#U8}, exact on
 *     every x86-64 CPU; {@link Int8Encoding#S8} saturates on CPUs without VNNI)
 */
public record ExportOptions(Precision precision, int blockSize, int accuracyLevel, Precision lmHeadPrecision,
        boolean fusedRotary, boolean fusedAttention, boolean skipNorm, Int8Encoding int8Encoding) {

    /** Default int4 block size. */
    public static final int DEFAULT_BLOCK_SIZE = 32;

    public ExportOptions {
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null (FP32, INT8 or INT4)");
        }
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two >= 16 (32, 64, 128), got " + blockSize);
        }
        if (int8Encoding == null) {
            throw new IllegalArgumentException("int8 encoding must not be null (U8, S7 or S8)");
        }
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new IllegalArgumentException("accuracy level must be 0..4, got " + accuracyLevel);
        }
    }

    /**
     * fp32, block size {@value #DEFAULT_BLOCK_SIZE}, accuracy level 4, lm_head like the rest, fused
     * rotary, fused attention, fused skip norm, int8 weights as uint8 with zero point 128.
     */
    public static ExportOptions defaults() {
        return new ExportOptions(Precision.FP32, DEFAULT_BLOCK_SIZE, 4, null, true, true, true, Int8Encoding.U8);
    }

    /** How int8 weights are stored ({@link Int8Encoding}). */
    public ExportOptions withInt8Encoding(Int8Encoding int8Encoding) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    public ExportOptions withPrecision(Precision precision) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    public ExportOptions withBlockSize(int blockSize) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    public ExportOptions withAccuracyLevel(int accuracyLevel) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    /** Keeps the output projection at another precision (e.g. FP32 or INT8 under INT4); null: same. */
    public ExportOptions withLmHeadPrecision(Precision lmHeadPrecision) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    /** Fused {@code RotaryEmbedding} (true) or standard operators (false). */
    public ExportOptions withFusedRotary(boolean fusedRotary) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    /** {@code GroupQueryAttention} (true) or standard operators with an explicit mask (false). */
    public ExportOptions withFusedAttention(boolean fusedAttention) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    /** {@code SkipSimplifiedLayerNormalization} for RMSNorm after a residual add (true) or Add + RMSNorm (false). */
    public ExportOptions withSkipNorm(boolean skipNorm) {
        return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary, fusedAttention,
                skipNorm, int8Encoding);
    }

    /** The output projection's effective precision. */
    public Precision effectiveLmHeadPrecision() {
        return lmHeadPrecision == null ? precision : lmHeadPrecision;
    }
}
