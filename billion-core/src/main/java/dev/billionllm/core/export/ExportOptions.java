package dev.billionllm.core.export;

import java.util.Objects;

/**
 * How {@link OnnxExporter} stores weights. Immutable; build one with {@link #builder()}: the
 * precision is required ({@code setPrecision}), everything else optional ({@code opt*}, each
 * setter documents its default), and every value is checked when it is set and again by
 * {@link Builder#build()}, whose message names the field.
 *
 * <pre>{@code
 * ExportOptions int4 = ExportOptions.builder().setPrecision(Precision.INT4).optBlockSize(32).build();
 * ExportOptions int4Head8 = int4.toBuilder().optLmHeadPrecision(Precision.INT8).build();
 * }</pre>
 *
 * @param precision linear-layer weights; the token embedding is always fp32, as its lookup costs
 *     nothing and it dominates quality on small vocabularies
 * @param blockSize int4 only: weights per scale along the input dimension, a power of two {@code >= 16}
 * @param accuracyLevel int4 only: {@code MatMulNBits} accuracy_level, 0 to 4
 * @param lmHeadPrecision the output projection's precision, or null for {@code precision}
 * @param fusedRotary rotary embeddings as ONNX Runtime's {@code com.microsoft.RotaryEmbedding}
 * @param fusedAttention attention as ONNX Runtime's {@code com.microsoft.GroupQueryAttention}
 * @param skipNorm RMSNorm after a residual add as {@code com.microsoft.SkipSimplifiedLayerNormalization}
 * @param int8Encoding int8 only: how weights are stored
 */
public record ExportOptions(Precision precision, int blockSize, int accuracyLevel, Precision lmHeadPrecision,
        boolean fusedRotary, boolean fusedAttention, boolean skipNorm, Int8Encoding int8Encoding) {

    /** Default int4 block size. */
    public static final int DEFAULT_BLOCK_SIZE = 32;
    /** Default int4 accuracy level: activations quantised to int8, which ONNX Runtime runs several times faster. */
    public static final int DEFAULT_ACCURACY_LEVEL = 4;

    /** Checks every field (the builder calls the same checks as each value is set). */
    public ExportOptions {
        checkPrecision(precision);
        checkBlockSize(blockSize);
        checkAccuracyLevel(accuracyLevel);
        checkLmHeadPrecision(lmHeadPrecision);
        checkInt8Encoding(int8Encoding);
    }

    /** A builder with every optional field at its default and no precision yet. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to derive others. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.precision = precision;
        b.blockSize = blockSize;
        b.accuracyLevel = accuracyLevel;
        b.lmHeadPrecision = lmHeadPrecision;
        b.fusedRotary = fusedRotary;
        b.fusedAttention = fusedAttention;
        b.skipNorm = skipNorm;
        b.int8Encoding = int8Encoding;
        return b;
    }

    /** The output projection's effective precision. */
    public Precision effectiveLmHeadPrecision() {
        return lmHeadPrecision == null ? precision : lmHeadPrecision;
    }

    private static void checkPrecision(Precision precision) {
        if (precision == null) {
            throw new IllegalArgumentException("precision must be set (FP32, INT8 or INT4): "
                    + "ExportOptions.builder().setPrecision(Precision.INT8)");
        }
        if (precision == Precision.AUTO) {
            throw new IllegalArgumentException("precision AUTO is for loading (LoadOptions.optPrecision picks one "
                    + "there); an export needs FP32, INT8 or INT4");
        }
    }

    private static void checkLmHeadPrecision(Precision lmHeadPrecision) {
        if (lmHeadPrecision == Precision.AUTO) {
            throw new IllegalArgumentException("lmHeadPrecision must be FP32, INT8, INT4 or null (same), got AUTO");
        }
    }

    private static void checkBlockSize(int blockSize) {
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException(
                    "blockSize must be a power of two >= 16 (32, 64, 128), got " + blockSize);
        }
    }

    private static void checkAccuracyLevel(int accuracyLevel) {
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new IllegalArgumentException("accuracyLevel must be 0..4, got " + accuracyLevel);
        }
    }

    private static void checkInt8Encoding(Int8Encoding int8Encoding) {
        if (int8Encoding == null) {
            throw new IllegalArgumentException("int8Encoding must not be null (U8, S7 or S8)");
        }
    }

    /**
     * Builds {@link ExportOptions}. {@link #setPrecision} is required; each setter rejects a bad
     * value at once with an {@link IllegalArgumentException}.
     */
    public static final class Builder {
        private Precision precision;
        private int blockSize = DEFAULT_BLOCK_SIZE;
        private int accuracyLevel = DEFAULT_ACCURACY_LEVEL;
        private Precision lmHeadPrecision;
        private boolean fusedRotary = true;
        private boolean fusedAttention = true;
        private boolean skipNorm = true;
        private Int8Encoding int8Encoding = Int8Encoding.U8;

        private Builder() {}

        /** Required: the precision of the linear-layer weights (FP32, INT8 or INT4). */
        public Builder setPrecision(Precision precision) {
            checkPrecision(precision);
            this.precision = precision;
            return this;
        }

        /**
         * int4 only: weights per scale along the input dimension, a power of two {@code >= 16}.
         * Default {@value ExportOptions#DEFAULT_BLOCK_SIZE}.
         */
        public Builder optBlockSize(int blockSize) {
            checkBlockSize(blockSize);
            this.blockSize = blockSize;
            return this;
        }

        /**
         * int4 only: {@code MatMulNBits} accuracy_level, 0 to 4. Default
         * {@value ExportOptions#DEFAULT_ACCURACY_LEVEL} (int8 activations, several times faster).
         */
        public Builder optAccuracyLevel(int accuracyLevel) {
            checkAccuracyLevel(accuracyLevel);
            this.accuracyLevel = accuracyLevel;
            return this;
        }

        /**
         * Keeps the output projection at another precision (e.g. FP32 or INT8 under INT4). Default
         * null: the same as {@link #setPrecision}.
         */
        public Builder optLmHeadPrecision(Precision lmHeadPrecision) {
            checkLmHeadPrecision(lmHeadPrecision);
            this.lmHeadPrecision = lmHeadPrecision;
            return this;
        }

        /**
         * Rotary embeddings with ONNX Runtime's {@code com.microsoft.RotaryEmbedding} and a cos/sin
         * table of {@code max_position_embeddings} rows (true), or standard operators computing
         * cos/sin from the positions (false). Default true.
         */
        public Builder optFusedRotary(boolean fusedRotary) {
            this.fusedRotary = fusedRotary;
            return this;
        }

        /**
         * Attention as ONNX Runtime's {@code com.microsoft.GroupQueryAttention} (true: int8 prefill
         * about 10% faster, decode the same), or standard operators and an explicit mask (false).
         * Default true. Its CPU kernel has no mask, so the graph moves each row's leading padding
         * behind its tokens; the ONNX backend refuses the one layout that cannot work, padding
         * between two new tokens of a row (see {@code docs/export.md}).
         */
        public Builder optFusedAttention(boolean fusedAttention) {
            this.fusedAttention = fusedAttention;
            return this;
        }

        /**
         * RMSNorm after a residual add as {@code com.microsoft.SkipSimplifiedLayerNormalization},
         * which adds and normalises in one pass (true), or the Add and the Pow/ReduceMean/Sqrt/Div
         * pattern, which ONNX Runtime fuses only into {@code SimplifiedLayerNormalization} (false).
         * Default true.
         */
        public Builder optSkipNorm(boolean skipNorm) {
            this.skipNorm = skipNorm;
            return this;
        }

        /**
         * int8 only: how weights are stored. Default {@link Int8Encoding#U8}, exact on every x86-64
         * CPU ({@link Int8Encoding#S8} saturates on CPUs without VNNI).
         */
        public Builder optInt8Encoding(Int8Encoding int8Encoding) {
            checkInt8Encoding(int8Encoding);
            this.int8Encoding = Objects.requireNonNull(int8Encoding);
            return this;
        }

        /**
         * The immutable options.
         *
         * @throws IllegalArgumentException when the precision was never set
         */
        public ExportOptions build() {
            return new ExportOptions(precision, blockSize, accuracyLevel, lmHeadPrecision, fusedRotary,
                    fusedAttention, skipNorm, int8Encoding);
        }
    }
}
