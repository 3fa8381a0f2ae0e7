package dev.billionllm.core.config;

import dev.billionllm.core.arch.Architecture;
import dev.billionllm.core.arch.Architectures;
import java.util.List;

/**
 * The architecture of a decoder-only model, normalised from config.json across families and
 * transformers versions. Families differ only through these fields and the {@link Architecture}
 * (tensor names, fused layouts); the math is shared.
 *
 * @param architecture how this model's family is read and laid out (its {@code model_type}, its
 *     built-in family, tensor names)
 * @param vocabSize rows of the embedding matrix (may be padded past the tokenizer)
 * @param hiddenSize model width
 * @param intermediateSize MLP width
 * @param numHiddenLayers decoder layers
 * @param numAttentionHeads query heads
 * @param numKeyValueHeads key/value heads (grouped-query attention when fewer than query heads)
 * @param headDim size of one head ({@code head_dim}, else hidden / heads)
 * @param maxPositionEmbeddings longest context the model supports
 * @param normKind RMSNorm or LayerNorm
 * @param normEps epsilon of every norm
 * @param mlpKind gated (SwiGLU) or plain MLP
 * @param activation MLP activation
 * @param rope rotary embedding parameters
 * @param qkvBias q/k/v projections carry a bias (stablelm {@code use_qkv_bias}, gpt_neox)
 * @param outputBias the attention output projection carries a bias (gpt_neox)
 * @param mlpBias MLP projections carry biases (gpt_neox, llama {@code mlp_bias})
 * @param qkvFused q, k and v are one tensor interleaved per head (gpt_neox {@code query_key_value})
 * @param qkNorm per-head LayerNorm on q and k (stablelm {@code qk_layernorm})
 * @param parallelResidual {@code x + attn(ln1(x)) + mlp(ln2(x))} instead of sequential (gpt_neox)
 * @param tieWordEmbeddings the output projection is the embedding matrix
 * @param bosTokenId beginning-of-sequence id, or -1
 * @param eosTokenIds end-of-sequence ids (config.json may give one or a list)
 * @param padTokenId padding id, or -1
 * @param torchDtype dtype the checkpoint was saved in ("float32", "bfloat16", "float16")
 */
public record ModelConfig(
        Architecture architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int maxPositionEmbeddings,
        NormKind normKind,
        double normEps,
        MlpKind mlpKind,
        Activation activation,
        RopeConfig rope,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        boolean qkvFused,
        boolean qkNorm,
        boolean parallelResidual,
        boolean tieWordEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds,
        int padTokenId,
        String torchDtype) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        require(architecture != null, "architecture must not be null");
        // The resolved switches the architecture fixes must agree with it: the backends read the
        // layout from the architecture and the switches from here.
        require(normKind == architecture.normKind() && mlpKind == architecture.mlpKind()
                        && qkvFused == (architecture.qkvLayout() == Architecture.QkvLayout.PER_HEAD_INTERLEAVED),
                "norm kind, MLP kind and q/k/v fusion (" + normKind + ", " + mlpKind + ", " + qkvFused
                        + ") contradict the " + architecture.modelType() + " architecture");
        require(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
        require(hiddenSize > 0, "hidden_size must be > 0, got " + hiddenSize);
        require(intermediateSize > 0, "intermediate_size must be > 0, got " + intermediateSize);
        require(numHiddenLayers > 0, "num_hidden_layers must be > 0, got " + numHiddenLayers);
        require(numAttentionHeads > 0, "num_attention_heads must be > 0, got " + numAttentionHeads);
        require(
                numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_attention_heads (" + numAttentionHeads + ") must be a multiple of num_key_value_heads ("
                        + numKeyValueHeads + ")");
        require(headDim > 0, "head_dim must be > 0, got " + headDim);
        require(maxPositionEmbeddings > 0, "max_position_embeddings must be > 0");
        require(rope.rotaryDim(headDim) % 2 == 0,
                "rotary dimensions (head_dim " + headDim + " x partial_rotary_factor "
                        + rope.partialRotaryFactor() + ") must be even");
    }

    /** A model of a built-in family with that family's tensor names. */
    public ModelConfig(Family family, int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
            int numAttentionHeads, int numKeyValueHeads, int headDim, int maxPositionEmbeddings, NormKind normKind,
            double normEps, MlpKind mlpKind, Activation activation, RopeConfig rope, boolean qkvBias,
            boolean outputBias, boolean mlpBias, boolean qkvFused, boolean qkNorm, boolean parallelResidual,
            boolean tieWordEmbeddings, int bosTokenId, List<Integer> eosTokenIds, int padTokenId, String torchDtype) {
        this(Architectures.builtIn(family), vocabSize, hiddenSize, intermediateSize, numHiddenLayers,
                numAttentionHeads, numKeyValueHeads, headDim, maxPositionEmbeddings, normKind, normEps, mlpKind,
                activation, rope, qkvBias, outputBias, mlpBias, qkvFused, qkNorm, parallelResidual,
                tieWordEmbeddings, bosTokenId, eosTokenIds, padTokenId, torchDtype);
    }

    /** The built-in family this model is (or, for a declared {@code model_type}, was declared like). */
    public Family family() {
        return architecture.family();
    }

    /** config.json's {@code model_type}. */
    public String modelType() {
        return architecture.modelType();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Query heads that share one key/value head. */
    public int queriesPerKeyValue() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Parameter count implied by the shapes (embeddings counted once when tied). */
    public long parameterCount() {
        long h = hiddenSize;
        long q = (long) numAttentionHeads * headDim;
        long kv = (long) numKeyValueHeads * headDim;
        long attn = h * q + 2 * h * kv + q * h + (qkvBias ? q + 2 * kv : 0) + (outputBias ? h : 0);
        long mlp = (mlpKind == MlpKind.GATED ? 3 : 2) * h * intermediateSize
                + (mlpBias ? (mlpKind == MlpKind.GATED ? 2L : 1L) * intermediateSize + h : 0);
        long norms = (normKind == NormKind.LAYER_NORM ? 2 : 1) * h * 2;
        long layer = attn + mlp + norms;
        long embed = (long) vocabSize * h;
        return numHiddenLayers * layer + embed * (tieWordEmbeddings ? 1 : 2)
                + (normKind == NormKind.LAYER_NORM ? 2 : 1) * h;
    }
}
