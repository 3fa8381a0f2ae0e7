package dev.billionllm.core.model;

import dev.billionllm.core.config.Family;
import dev.billionllm.core.model.gptneox.GptNeoXWeightNames;
import dev.billionllm.core.model.llama.LlamaWeightNames;
import dev.billionllm.core.model.stablelm.StableLmWeightNames;

/**
 * Checkpoint tensor names of one family. Methods return module prefixes: the tensors are
 * {@code prefix + ".weight"} and {@code prefix + ".bias"}, the Hugging Face convention. These are the
 * only places where checkpoint key strings appear.
 */
public interface WeightNames {

    /** Token embedding matrix {@code [vocab, hidden]} (full name). */
    String embedding();

    /** Output projection {@code [vocab, hidden]} (full name), used unless embeddings are tied. */
    String lmHead();

    /** Norm after the last layer. */
    String finalNorm();

    /** Norm before attention. */
    String inputNorm(int layer);

    /** Norm before the MLP (unused by a parallel block that shares the input norm). */
    String postAttentionNorm(int layer);

    /** Separate q, k and v projections (ignored when {@code qkvFused}). */
    String[] qkv(int layer);

    /** Fused {@code query_key_value} projection, per-head interleaved (only when {@code qkvFused}). */
    String fusedQkv(int layer);

    /** Attention output projection. */
    String attentionOutput(int layer);

    /** Per-head q norm of {@code head} (only when {@code qkNorm}). */
    String qNorm(int layer, int head);

    /** Per-head k norm of {@code head} (only when {@code qkNorm}). */
    String kNorm(int layer, int head);

    /** Gate projection of a gated MLP. */
    String mlpGate(int layer);

    /** Up projection (the only input projection of a plain MLP). */
    String mlpUp(int layer);

    /** Down projection. */
    String mlpDown(int layer);

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
