package dev.billionllm.core.lm;

/**
 * Keys and values of the tokens a model has seen, per layer, preallocated to a capacity and
 * written in place. Also remembers which cached positions are padding, so later steps mask them,
 * and how many real tokens each row holds, which gives the next positions.
 *
 * <p>Created by {@link CausalLM#newCache}; only the model that created a cache can use it.
 */
public interface KvCache extends AutoCloseable {

    int batchSize();

    /** Positions held (the same for every row; padding counts). */
    int length();

    /** Positions that fit. */
    int capacity();

    /**
     * Forgets every position at or past {@code length}, as if those tokens had never been fed
     * (speculative decoding rolls rejected draft tokens back this way).
     *
     * @throws IllegalArgumentException if {@code length} is negative or past {@link #length()}
     */
    void truncate(int length);

    /** An independent copy (same capacity) that can be extended separately. */
    KvCache copy();

    /** Bytes of keys and values a full cache takes (capacity, not length; storage may grow to it with use). */
    long sizeInBytes();

    @Override
    void close();
}
