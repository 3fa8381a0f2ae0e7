package dev.billionllm.core.lm;

import java.util.Arrays;
import java.util.Objects;

/**
 * A single-row {@link KvCache} that remembers which ids it holds, so a caller can hand it the whole
 * context each time and have it keep the longest prefix still valid, roll back the rest with {@link
 * KvCache#truncate}, and feed only what is new. Speculative decoding keeps the target's and the
 * draft's caches in step with the accepted text this way.
 *
 * <pre>{@code
 * try (PrefixCache c = new PrefixCache(lm, 256)) {
 *     int kept = c.keepPrefixOf(context, context.length - 1);       // valid cached prefix
 *     Logits l = c.feed(Arrays.copyOfRange(context, kept, context.length), LogitsMode.LAST);
 * }
 * }</pre>
 *
 * <p>Not thread-safe; owns its cache (created on the first feed).
 */
public final class PrefixCache implements AutoCloseable {
    private final CausalLM lm;
    private final int capacity;
    private KvCache cache;
    private int[] ids = new int[16];
    private int length;

    /**
     * @param lm the model whose cache this is
     * @param capacity positions the cache holds
     */
    public PrefixCache(CausalLM lm, int capacity) {
        this.lm = Objects.requireNonNull(lm, "lm");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** Ids held. */
    public int length() {
        return length;
    }

    /** Positions that fit. */
    public int capacity() {
        return capacity;
    }

    /**
     * Keeps the longest cached prefix that {@code context} starts with, but no more than {@code max}
     * ids, and rolls back everything after it.
     *
     * @return the ids kept, a prefix of {@code context}
     */
    public int keepPrefixOf(int[] context, int max) {
        int common = 0;
        int limit = Math.min(Math.min(length, context.length), max);
        while (common < limit && ids[common] == context[common]) {
            common++;
        }
        truncate(common);
        return common;
    }

    /** Forgets the ids at or past {@code newLength} (no-op when it holds fewer). */
    public void truncate(int newLength) {
        if (newLength < 0) {
            throw new IllegalArgumentException("length must be >= 0, got " + newLength);
        }
        if (newLength < length) {
            cache.truncate(newLength);
            length = newLength;
        }
    }

    /** Runs {@code newIds} (one row) through the model after what the cache holds. */
    public Logits feed(int[] newIds, LogitsMode mode) {
        if (cache == null) {
            cache = lm.newCache(1, capacity);
        }
        Logits logits = lm.forward(TokenBatch.of(newIds), cache, mode);
        if (ids.length < length + newIds.length) {
            ids = Arrays.copyOf(ids, Math.max(ids.length * 2, length + newIds.length));
        }
        System.arraycopy(newIds, 0, ids, length, newIds.length);
        length += newIds.length;
        return logits;
    }

    /** Frees the cache. Does not throw. */
    @Override
    public void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
        length = 0;
    }
}
