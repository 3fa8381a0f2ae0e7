package dev.billionllm.core.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The bookkeeping every {@link KvCache} needs, written once: batch size, capacity, length, which
 * cached positions are padding, the positions of new tokens, the closed state, and the checks a
 * {@link CausalLM#forward} call makes on its arguments. A backend subclass adds only its storage
 * of keys and values (template methods {@link #truncateStorage} and {@link #release}).
 *
 * <p>For implementations of {@link CausalLM}; callers only ever see {@link KvCache}.
 *
 * <pre>{@code
 * final class MyCache extends AbstractKvCache {
 *     MyCache(MyLM owner, int batchSize, int capacity) { super(owner, batchSize, capacity); ... }
 *     MyCache(MyCache from) { super(from); ... copy the storage ... }
 *     public KvCache copy() { return new MyCache(this); }
 *     protected void truncateStorage(int newLength) { ... }
 *     protected void release() { ... free the storage ... }
 *     public long sizeInBytes() { ... }
 * }
 * // in MyLM.forward:
 * MyCache c = AbstractKvCache.checkForward(this, MyCache.class, cache, batch, IllegalArgumentException::new);
 * }</pre>
 *
 * <p>Not thread-safe; one cache per sequence batch.
 */
public abstract class AbstractKvCache implements KvCache {
    private final CausalLM owner;
    private final int batchSize;
    private final int capacity;
    /**
     * Positions a cache allocates first, and the least it grows by: a cache is created for
     * prompt + max new tokens, which may be millions of positions never used, so storage grows
     * with what is held instead (doubling, so the copies cost O(length) in total).
     */
    public static final int GROWTH_CHUNK = 256;

    private final int[][] mask; // [batch][allocated], valid up to length: 1 real token, 0 padding
    private int length;
    private boolean closed;

    /**
     * An empty cache of {@code owner}.
     *
     * @throws IllegalArgumentException if {@code batchSize} or {@code capacity} is not positive, or
     *     {@code capacity} exceeds the owner's {@code max_position_embeddings} (positions past it have
     *     no trained rotary/position meaning, and an ONNX graph may size tables by it)
     */
    protected AbstractKvCache(CausalLM owner, int batchSize, int capacity) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0, got " + capacity);
        }
        Objects.requireNonNull(owner, "owner");
        int maxPositions = owner.config().maxPositionEmbeddings();
        if (capacity > maxPositions) {
            throw new IllegalArgumentException("capacity " + capacity + " exceeds max_position_embeddings "
                    + maxPositions + " of this model");
        }
        this.owner = owner;
        this.batchSize = batchSize;
        this.capacity = capacity;
        this.mask = new int[batchSize][Math.min(capacity, GROWTH_CHUNK)];
    }

    /**
     * The storage size to grow to when {@code needed} positions must fit in {@code allocated}:
     * {@code allocated} itself if they fit, else double (at least {@link #GROWTH_CHUNK} more), never
     * past the capacity. Backends size their key/value storage with this too.
     *
     * @throws IllegalArgumentException if {@code needed} exceeds the capacity
     */
    public final int grownSize(int allocated, int needed) {
        if (needed > capacity) {
            throw new IllegalArgumentException("cannot hold " + needed + " positions in a cache of capacity " + capacity);
        }
        if (needed <= allocated) {
            return allocated;
        }
        long doubled = Math.max(2L * allocated, (long) allocated + GROWTH_CHUNK);
        return (int) Math.min(capacity, Math.max(needed, doubled));
    }

    /**
     * A copy of {@code from}'s bookkeeping (same owner, capacity, length and padding); the subclass
     * copies the storage.
     *
     * @throws IllegalStateException if {@code from} is closed
     */
    protected AbstractKvCache(AbstractKvCache from) {
        from.checkOpen();
        this.owner = from.owner;
        this.batchSize = from.batchSize;
        this.capacity = from.capacity;
        this.mask = new int[batchSize][];
        for (int b = 0; b < batchSize; b++) {
            mask[b] = from.mask[b].clone();
        }
        this.length = from.length;
    }

    /**
     * The bookkeeping of {@link CausalLM#stackRows}: row {@code i} holds the real tokens of {@code
     * rows.get(i)} right-aligned, after padding; the length is the most real tokens of any row. The
     * subclass copies the storage (each source row's {@link #realPositions}, in order, to the new
     * row's last positions).
     *
     * <p>Call {@link #checkStack} first.
     *
     * @throws IllegalArgumentException if the real tokens exceed {@code capacity}
     */
    protected AbstractKvCache(CausalLM owner, List<CacheRow> rows, int capacity) {
        this(owner, rows.size(), capacity);
        int longest = 0;
        int[] real = new int[rows.size()];
        for (int i = 0; i < real.length; i++) {
            real[i] = ((AbstractKvCache) rows.get(i).cache()).realTokens(rows.get(i).row());
            longest = Math.max(longest, real[i]);
        }
        if (longest > capacity) {
            throw new IllegalArgumentException("a row holds " + longest + " tokens, more than the capacity " + capacity);
        }
        int allocated = grownSize(mask[0].length, longest);
        for (int i = 0; i < real.length; i++) {
            mask[i] = new int[allocated];
            Arrays.fill(mask[i], longest - real[i], longest, 1);
        }
        this.length = longest;
    }

    /**
     * The checks of {@link CausalLM#stackRows}: at least one row, and each row's cache was created
     * by {@code model} (so is a {@code type}) and is open.
     *
     * @return each row's cache as its own type, in order
     */
    public static <C extends AbstractKvCache> List<C> checkStack(CausalLM model, Class<C> type, List<CacheRow> rows) {
        Objects.requireNonNull(rows, "rows");
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("stackRows needs at least one row");
        }
        List<C> out = new ArrayList<>(rows.size());
        for (CacheRow r : rows) {
            KvCache cache = r.cache();
            if (!type.isInstance(cache) || ((AbstractKvCache) cache).owner != model) {
                throw new IllegalArgumentException("a KV cache row to stack was not created by this model's newCache ("
                        + "a " + cache.getClass().getSimpleName() + " not created by this "
                        + model.getClass().getSimpleName() + ")");
            }
            C c = type.cast(cache);
            c.checkOpen();
            out.add(c);
        }
        return out;
    }

    /**
     * How many of {@code positions}, from index {@code from} on, are consecutive ({@code p, p+1,
     * ...}): the run a cache copy can move at once.
     */
    protected static int runLength(int[] positions, int from) {
        int run = 1;
        while (from + run < positions.length && positions[from + run] == positions[from] + run) {
            run++;
        }
        return run;
    }

    /** The cached positions of row {@code b} that are real tokens, in order. */
    public final int[] realPositions(int b) {
        int[] out = new int[realTokens(b)];
        int n = 0;
        for (int j = 0; j < length; j++) {
            if (mask[b][j] == 1) {
                out[n++] = j;
            }
        }
        return out;
    }

    /**
     * The checks every {@code forward} makes before touching anything: {@code cache} was created by
     * {@code model} (and so is a {@code type}) and is open, the batch has the cache's rows, the new
     * tokens fit, and every id (padding included, since it is embedded too) is inside the
     * vocabulary.
     *
     * @param whenFull the exception for new tokens past the capacity
     * @return {@code cache} as its own type
     * @throws IllegalArgumentException if the cache belongs to another model, the row counts differ
     *     or an id is outside {@code [0, vocabSize)}
     * @throws IllegalStateException if the cache is closed
     */
    public static <C extends AbstractKvCache> C checkForward(CausalLM model, Class<C> type, KvCache cache,
            TokenBatch batch, Function<String, ? extends RuntimeException> whenFull) {
        Objects.requireNonNull(batch, "batch");
        if (!type.isInstance(cache) || ((AbstractKvCache) cache).owner != model) {
            throw new IllegalArgumentException("the KV cache was not created by this model's newCache ("
                    + (cache == null ? "null" : "a " + cache.getClass().getSimpleName()) + " not created by this "
                    + model.getClass().getSimpleName() + ")");
        }
        C c = type.cast(cache);
        c.checkOpen();
        int rows = batch.batchSize();
        int seq = batch.length();
        if (rows != c.batchSize()) {
            throw new IllegalArgumentException("the batch has " + rows + " rows but the cache " + c.batchSize()
                    + "; a cache serves the batch size it was created for");
        }
        if (c.length() + seq > c.capacity()) {
            throw whenFull.apply("the cache holds " + c.length() + " of " + c.capacity()
                    + " positions and cannot take " + seq + " more; create a larger cache");
        }
        int vocab = model.config().vocabSize();
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t < seq; t++) {
                int id = batch.id(b, t);
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("token id " + id + " at row " + b + ", position " + t
                            + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
        return c;
    }

    /** The padding masks of {@code batch}, {@code [batch][seq]} (1 real token, 0 padding). */
    public static int[][] maskOf(TokenBatch batch) {
        int[][] m = new int[batch.batchSize()][];
        for (int b = 0; b < m.length; b++) {
            m[b] = batch.maskRow(b);
        }
        return m;
    }

    @Override
    public final int batchSize() {
        return batchSize;
    }

    @Override
    public final int length() {
        return length;
    }

    @Override
    public final int capacity() {
        return capacity;
    }

    /** Whether cached position {@code j} of row {@code b} is a real token (not padding). */
    public final boolean isReal(int b, int j) {
        return mask[b][j] == 1;
    }

    /** Real (non-padding) tokens row {@code b} holds. */
    public final int realTokens(int b) {
        int n = 0;
        for (int j = 0; j < length; j++) {
            n += mask[b][j];
        }
        return n;
    }

    /**
     * Positions of new tokens with padding {@code newMask} ({@code [batch][seq]}): each row's count
     * of real tokens before them, which equals Hugging Face's {@code cumsum(attention_mask) - 1}
     * clamped at 0 for left-padded rows (padding gets 0 or the previous real position; it is masked).
     */
    public final int[][] positions(int[][] newMask) {
        int[][] out = new int[batchSize][];
        for (int b = 0; b < batchSize; b++) {
            int real = realTokens(b);
            out[b] = new int[newMask[b].length];
            for (int t = 0; t < out[b].length; t++) {
                real += newMask[b][t];
                out[b][t] = Math.max(0, real - 1);
            }
        }
        return out;
    }

    /** Records new positions with padding {@code newMask} as held, once a step has stored them. */
    protected final void append(int[][] newMask) {
        checkOpen();
        int seq = newMask[0].length;
        int allocated = grownSize(mask[0].length, length + seq);
        for (int b = 0; b < batchSize; b++) {
            if (allocated != mask[b].length) {
                mask[b] = Arrays.copyOf(mask[b], allocated);
            }
            System.arraycopy(newMask[b], 0, mask[b], length, seq);
        }
        length += seq;
    }

    @Override
    public final void truncate(int newLength) {
        checkOpen();
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of length " + length + " to " + newLength);
        }
        if (newLength == length) {
            return;
        }
        truncateStorage(newLength);
        for (int[] row : mask) {
            Arrays.fill(row, newLength, length, 0);
        }
        length = newLength;
    }

    /**
     * Drops stored positions at or past {@code newLength} (less than {@link #length()}, which still
     * has its old value here). Failing leaves the cache as it was.
     */
    protected abstract void truncateStorage(int newLength);

    /** @throws IllegalStateException if this cache is closed */
    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this KV cache is closed");
        }
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /** Frees the storage; called once, by the first {@link #close()}. Does not throw. */
    protected abstract void release();
}
