package dev.billionllm.core.lm;

import java.util.Objects;

/**
 * One row of a {@link KvCache}: what {@link CausalLM#stackRows} gathers into a new batch cache
 * (continuous batching moves a prefilled request's row into the running batch this way, and drops
 * a finished row by stacking the others).
 *
 * @param cache an open cache of the model that stacks it
 * @param row a row index of {@code cache}
 */
public record CacheRow(KvCache cache, int row) {

    public CacheRow {
        Objects.requireNonNull(cache, "cache");
        if (row < 0 || row >= cache.batchSize()) {
            throw new IllegalArgumentException("row " + row + " is outside the cache's " + cache.batchSize() + " rows");
        }
    }
}
