package dev.billionllm.core.model;

import dev.billionllm.core.config.Family;
import dev.billionllm.core.model.gptneox.GptNeoXWeightNames;
import dev.billionllm.core.model.llama.LlamaWeightNames;
import dev.billionllm.core.model.stablelm.StableLmWeightNames;

/**
 * Checkpoint tensor names of one family. Methods return module prefixes: the tensors are
 * {@code prefix + ".weight"} and {@code prefix + ".bias"}, the Hugging Face convention. These are the
 * only places where checkpoint key strings appear: the layer norm names every family shares are
 * defaults here, and a family implements its own names and overrides only the parts it has
 * (the defaults of optional parts throw).
 */
public interface WeightNames {

    /** Token embedding matrix {@code [vocab, hidden]} (full name). */
    String embedding();

    /** Output projection {@code [vocab, hidden]} (full name), used unless embeddings are tied. */
    String lmHead();

    /** Norm after the last layer. */
    String finalNorm();

    /** Prefix of decoder layer {@code layer}'s modules. */
    String layer(int layer);

    /** Norm before attention. */
    default String inputNorm(int layer) {
        return layer(layer) + ".input_layernorm";
    }

    /** Norm before the MLP (unused by a parallel block that shares the input norm). */
    default String postAttentionNorm(int layer) {
        return layer(layer) + ".post_attention_layernorm";
    }

    /** Separate q, k and v projections (ignored when {@code qkvFused}). */
    default String[] qkv(int layer) {
        throw unsupported("separate q/k/v projections");
    }

    /** Fused {@code query_key_value} projection, per-head interleaved (only when {@code qkvFused}). */
    default String fusedQkv(int layer) {
        throw unsupported("a fused query_key_value projection");
    }

    /** Attention output projection. */
    String attentionOutput(int layer);

    /** Per-head q norm of {@code head} (only when {@code qkNorm}). */
    default String qNorm(int layer, int head) {
        throw unsupported("qk-norm");
    }

    /** Per-head k norm of {@code head} (only when {@code qkNorm}). */
    default String kNorm(int layer, int head) {
        throw unsupported("qk-norm");
    }

    /** Gate projection of a gated MLP. */
    default String mlpGate(int layer) {
        throw unsupported("a gated MLP");
    }

    /** Up projection (the only input projection of a plain MLP). */
    String mlpUp(int layer);

    /** Down projection. */
    String mlpDown(int layer);

    /** What a family without {@code feature} throws when asked for its names. */
    private UnsupportedOperationException unsupported(String feature) {
        return new UnsupportedOperationException(getClass().getSimpleName() + ": checkpoints of this family have no "
                + feature);
    }

    /** The names of {@code family}. */
    static WeightNames of(Family family) {
        switch (family) {
            case LLAMA:
                return new LlamaWeightNames();
            case STABLELM:
                return new StableLmWeightNames();
            case GPT_NEOX:
                return new GptNeoXWeightNames();
            default:
                throw new AssertionError(family);
        }
    }
}
