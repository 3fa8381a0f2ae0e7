package dev.billionllm.core.backend.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.lm.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link KvCache} of {@link PtCausalLM}: per layer, keys and values preallocated as
 * {@code [batch, kvHeads, capacity, headDim]} fp32 arrays in the cache's own manager and written in
 * place. Which positions are padding is kept in Java, so masks and positions need no engine call.
 */
final class PtKvCache implements KvCache {
    private final PtCausalLM owner;
    private final NDManager manager;
    private final int batchSize;
    private final int capacity;
    private final List<NDArray> keys;
    private final List<NDArray> values;
    private final int[][] mask; // [batch][capacity]: 1 real token, 0 padding
    private int length;
    private boolean closed;

    private PtKvCache(PtCausalLM owner, NDManager manager, int batchSize, int capacity, List<NDArray> keys,
            List<NDArray> values, int[][] mask, int length) {
        this.owner = owner;
        this.manager = manager;
        this.batchSize = batchSize;
        this.capacity = capacity;
        this.keys = keys;
        this.values = values;
        this.mask = mask;
        this.length = length;
    }

    static PtKvCache allocate(PtCausalLM owner, NDManager parent, int batchSize, int capacity) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0, got " + capacity);
        }
        ModelConfig c = owner.config();
        NDManager manager = parent.newSubManager();
        Shape shape = new Shape(batchSize, c.numKeyValueHeads(), capacity, c.headDim());
        List<NDArray> keys = new ArrayList<>();
        List<NDArray> values = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            keys.add(manager.zeros(shape));
            values.add(manager.zeros(shape));
        }
        return new PtKvCache(owner, manager, batchSize, capacity, List.copyOf(keys), List.copyOf(values),
                new int[batchSize][capacity], 0);
    }

    PtCausalLM owner() {
        return owner;
    }

    List<NDArray> keys() {
        return keys;
    }

    List<NDArray> values() {
        return values;
    }

    /** Real (non-padding) tokens row {@code b} holds. */
    int realTokens(int b) {
        int n = 0;
        for (int j = 0; j < length; j++) {
            n += mask[b][j];
        }
        return n;
    }

    /** Whether cached position {@code j} of row {@code b} is a real token. */
    boolean isReal(int b, int j) {
        return mask[b][j] == 1;
    }

    /** Records the padding of new positions {@code [length, length + m.length)} of row {@code b}. */
    void setMask(int b, int[] m) {
        System.arraycopy(m, 0, mask[b], length, m.length);
    }

    /** Marks {@code n} positions written by a successful step as held. */
    void advance(int n) {
        length += n;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this KV cache is closed");
        }
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public void truncate(int newLength) {
        checkOpen();
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of length " + length + " to " + newLength);
        }
        // Positions past the length are never read (the mask stops at past + seq), so no zeroing.
        length = newLength;
    }

    @Override
    public KvCache copy() {
        checkOpen();
        NDManager m = manager.getParentManager().newSubManager();
        List<NDArray> k = new ArrayList<>();
        List<NDArray> v = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            NDArray kc = keys.get(i).duplicate();
            kc.attach(m);
            k.add(kc);
            NDArray vc = values.get(i).duplicate();
            vc.attach(m);
            v.add(vc);
        }
        int[][] maskCopy = new int[batchSize][];
        for (int b = 0; b < batchSize; b++) {
            maskCopy[b] = Arrays.copyOf(mask[b], capacity);
        }
        return new PtKvCache(owner, m, batchSize, capacity, List.copyOf(k), List.copyOf(v), maskCopy, length);
    }

    @Override
    public long sizeInBytes() {
        ModelConfig c = owner.config();
        return 2L * c.numHiddenLayers() * batchSize * c.numKeyValueHeads() * capacity * c.headDim() * Float.BYTES;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
