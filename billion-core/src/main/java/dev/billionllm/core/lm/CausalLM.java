package dev.billionllm.core.lm;

import dev.billionllm.core.config.ModelConfig;
import java.util.List;

/**
 * A causal language model on some backend: token ids in, next-token logits out, with a KV cache
 * that the caller owns. Implemented by each backend (PyTorch, ONNX Runtime) and by
 * {@code dev.billionllm.core.testing.ScriptedLM} (test-jar); everything above it (Generator, benchmarks,
 * speculative decoding) is written once against this interface.
 *
 * <pre>{@code
 * try (KvCache cache = lm.newCache(1, 64)) {
 *     Logits prefill = lm.forward(TokenBatch.of(promptIds), cache, LogitsMode.LAST);
 *     Logits next = lm.forward(TokenBatch.of(new int[] {token}), cache, LogitsMode.LAST);
 * }
 * }</pre>
 *
 * <p>Thread safety: the weights are read-only, so several threads may call {@code forward} at
 * once as long as each uses its own {@link KvCache}.
 */
public interface CausalLM extends AutoCloseable {

    /** The architecture this model was built from. */
    ModelConfig config();

    /**
     * Number of ids the model may produce: the tokenizer's vocabulary when known. Logits are
     * {@code config().vocabSize()} wide, which checkpoints pad past the tokenizer; ids at or past
     * this bound must never be sampled.
     */
    int usableVocabSize();

    /**
     * A new, empty cache.
     *
     * @param batchSize rows
     * @param capacity positions each row can hold (prompt plus generated tokens), preallocated
     * @throws IllegalArgumentException if {@code capacity} exceeds {@code max_position_embeddings}
     */
    KvCache newCache(int batchSize, int capacity);

    /**
     * Runs new tokens through the model, appends their keys and values to {@code cache} and
     * returns logits.
     *
     * @param batch new tokens per row (all rows the same length; padding marked in its mask)
     * @param cache the rows' cache, created by this model's {@link #newCache}
     * @param mode which positions' logits to return
     */
    Logits forward(TokenBatch batch, KvCache cache, LogitsMode mode);

    /**
     * A new cache whose row {@code i} holds the real (non-padding) tokens of {@code rows.get(i)},
     * right-aligned: its length is the most real tokens any of the rows holds, and a row with fewer
     * starts with padding, which later steps mask. Each row's next position is its count of real
     * tokens, so a row continues exactly as it would have in its own cache. The sources are left
     * unchanged (the caller closes them).
     *
     * <p>Continuous batching uses this between steps: a request prefilled alone joins the running
     * batch, and a finished row leaves it, by stacking the rows that stay.
     *
     * @param capacity positions each row of the new cache can hold
     * @throws IllegalArgumentException if {@code rows} is empty, a row's cache was not created by
     *     this model, or the rows' real tokens do not fit {@code capacity}
     * @throws UnsupportedOperationException if this model's caches cannot be stacked ({@link
     *     #canStackRows()} is false)
     */
    default KvCache stackRows(List<CacheRow> rows, int capacity) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " cannot stack KV cache rows; run each sequence in its own cache");
    }

    /** Whether {@link #stackRows} works for this model (false unless a backend implements it). */
    default boolean canStackRows() {
        return false;
    }

    /** Frees the weights. Does not throw. */
    @Override
    void close();
}
