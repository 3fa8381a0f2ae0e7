package dev.billionllm.core.config;

import dev.billionllm.core.ConfigException;

/**
 * Bounds on every number of a {@link ModelConfig}, checked when config.json is parsed, before any
 * array is sized from it. config.json comes with a downloaded model: without these checks a
 * {@code head_dim} of 40,000 allocated head_dim² floats, 65,536 overflowed an int, and a negative
 * {@code rms_norm_eps} surfaced as NaN logits. Sizes are multiplied in {@code long} with {@link
 * Math#multiplyExact}.
 *
 * <p>The ranges are wide: each is at least a few times the largest published model's value (Llama
 * 3.1 405B: hidden 16,384, 126 layers, 128 heads; Gemma: vocab 256,000, head_dim 256; contexts to
 * 10M positions).
 *
 * <pre>{@code
 * ModelConfig checked = ConfigValidation.check(config, "my-config"); // a config built in code
 * }</pre>
 */
public final class ConfigValidation {

    static final int MAX_VOCAB = 1 << 24;
    static final int MAX_HIDDEN = 1 << 16;
    static final int MAX_INTERMEDIATE = 1 << 18;
    static final int MAX_LAYERS = 1024;
    static final int MAX_HEADS = 1024;
    static final int MAX_HEAD_DIM = 1024;
    static final int MAX_POSITIONS = 1 << 24;
    static final double MAX_ROPE_THETA = 1e12;
    static final double MAX_ROPE_FACTOR = 1e6;
    /** Elements of one weight matrix: Java arrays and the safetensors reader index with int. */
    static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE;

    private ConfigValidation() {}

    /**
     * Returns {@code c} if every number is in range.
     *
     * @param source the file, for messages
     * @throws ConfigException naming the file, the key, the value and the accepted range
     */
    public static ModelConfig check(ModelConfig c, String source) {
        range(source, "vocab_size", c.vocabSize(), 1, MAX_VOCAB);
        range(source, "hidden_size", c.hiddenSize(), 1, MAX_HIDDEN);
        range(source, "intermediate_size", c.intermediateSize(), 1, MAX_INTERMEDIATE);
        range(source, "num_hidden_layers", c.numHiddenLayers(), 1, MAX_LAYERS);
        range(source, "num_attention_heads", c.numAttentionHeads(), 1, MAX_HEADS);
        range(source, "num_key_value_heads", c.numKeyValueHeads(), 1, c.numAttentionHeads());
        range(source, "head_dim", c.headDim(), 1, MAX_HEAD_DIM);
        range(source, "max_position_embeddings", c.maxPositionEmbeddings(), 1, MAX_POSITIONS);
        String epsKey = keyOr(c.architecture().normEps().key(), "norm eps");
        if (!(c.normEps() > 0 && c.normEps() < 1)) { // false for NaN too
            throw new ConfigException(source + ": " + epsKey + " " + c.normEps()
                    + " is outside the accepted range (0, 1); norms divide by sqrt(variance + eps)");
        }
        RopeConfig rope = c.rope();
        String thetaKey = keyOr(c.architecture().ropeTheta().key(), "rope_theta");
        real(source, thetaKey, rope.theta(), MAX_ROPE_THETA);
        if (rope.type() != RopeType.DEFAULT) {
            real(source, "rope_scaling factor", rope.factor(), MAX_ROPE_FACTOR);
        }
        if (rope.type() == RopeType.LLAMA3) {
            real(source, "rope_scaling low_freq_factor", rope.lowFreqFactor(), MAX_ROPE_FACTOR);
            real(source, "rope_scaling high_freq_factor", rope.highFreqFactor(), MAX_ROPE_FACTOR);
            if (!(rope.highFreqFactor() > rope.lowFreqFactor())) {
                // The llama3 schedule interpolates by 1 / (high - low).
                throw new ConfigException(source + ": rope_scaling high_freq_factor " + rope.highFreqFactor()
                        + " must be greater than low_freq_factor " + rope.lowFreqFactor());
            }
            range(source, "rope_scaling original_max_position_embeddings", rope.originalMaxPositionEmbeddings(), 1,
                    MAX_POSITIONS);
        }
        int rotary = rope.rotaryDim(c.headDim());
        if (rotary < 2) {
            throw new ConfigException(source + ": head_dim " + c.headDim() + " x partial_rotary_factor "
                    + rope.partialRotaryFactor() + " rotates " + rotary + " dimensions; at least 2 are needed");
        }
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        tensor(source, "vocab_size x hidden_size (embedding)", c.vocabSize(), c.hiddenSize());
        tensor(source, "hidden_size x intermediate_size (MLP)", c.hiddenSize(), c.intermediateSize());
        tensor(source, "hidden_size x num_attention_heads x head_dim (q projection)", c.hiddenSize(), q);
        tensor(source, "hidden_size x 3 x num_attention_heads x head_dim (fused qkv)", c.hiddenSize(), q + 2 * kv);
        return c;
    }

    /** The config.json key the architecture reads a value from (null when the value is fixed). */
    private static String keyOr(String key, String fallback) {
        return key == null ? fallback : key;
    }

    private static void range(String source, String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(source + ": " + key + " " + value + " is outside the accepted range [" + min
                    + ", " + max + "]");
        }
    }

    private static void real(String source, String key, double value, double max) {
        if (!(value > 0 && value <= max)) { // false for NaN too
            throw new ConfigException(source + ": " + key + " " + value + " is outside the accepted range (0, "
                    + max + "]");
        }
    }

    private static void tensor(String source, String what, long rows, long cols) {
        long elements;
        try {
            elements = Math.multiplyExact(rows, cols);
        } catch (ArithmeticException e) {
            elements = Long.MAX_VALUE;
        }
        if (elements > MAX_TENSOR_ELEMENTS) {
            throw new ConfigException(source + ": " + what + " = " + rows + " x " + cols + " elements in one "
                    + "weight matrix, over the limit of " + MAX_TENSOR_ELEMENTS);
        }
    }
}
