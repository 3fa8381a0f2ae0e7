package dev.billionllm.core.internal.backend.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.KvCache;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link KvCache} of {@link PtCausalLM}: per layer, keys and values as {@code [batch, kvHeads,
 * allocated, headDim]} fp32 arrays in the cache's own manager, written in place. {@code allocated}
 * starts at {@link AbstractKvCache#GROWTH_CHUNK} positions and grows by doubling (one copy into a
 * larger array) only when a step needs more, so a cache created for millions of new tokens costs
 * what its tokens use. Which positions are padding is kept in Java by {@link AbstractKvCache}, so
 * masks and positions need no engine call.
 */
final class PtKvCache extends AbstractKvCache {
    private final ModelConfig config;
    private final NDManager manager;
    // Replaced (not resized) when storage grows, so mutable; Step sees them after reserve().
    private final List<NDArray> keys;
    private final List<NDArray> values;
    private int allocated;

    /** An empty cache: zeroed arrays in a new sub-manager of {@code parent}. */
    PtKvCache(PtCausalLM owner, NDManager parent, int batchSize, int capacity) {
        super(owner, batchSize, capacity);
        this.config = owner.config();
        this.manager = parent.newSubManager();
        this.allocated = Math.min(capacity, GROWTH_CHUNK);
        Shape shape = shape(allocated);
        this.keys = new ArrayList<>();
        this.values = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            keys.add(manager.zeros(shape));
            values.add(manager.zeros(shape));
        }
    }

    /**
     * The rows of {@code sources} stacked, as {@link PtCausalLM#stackRows} describes: row {@code i}
     * gets the real positions of {@code rows.get(i)}, right-aligned, after zeroed padding.
     */
    PtKvCache(PtCausalLM owner, NDManager parent, List<CacheRow> rows, List<PtKvCache> sources, int capacity) {
        super(owner, rows, capacity);
        this.config = owner.config();
        this.manager = parent.newSubManager();
        this.allocated = grownSize(Math.min(capacity, GROWTH_CHUNK), length());
        this.keys = new ArrayList<>();
        this.values = new ArrayList<>();
        int[][] real = new int[rows.size()][]; // per source row, the same for every layer
        for (int i = 0; i < rows.size(); i++) {
            real[i] = sources.get(i).realPositions(rows.get(i).row());
        }
        try (NDManager scratch = manager.newSubManager()) {
            for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
                List<NDArray> k = new ArrayList<>();
                List<NDArray> v = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) {
                    PtKvCache from = sources.get(i);
                    k.add(placeRow(from.keys.get(layer), rows.get(i).row(), real[i], scratch));
                    v.add(placeRow(from.values.get(layer), rows.get(i).row(), real[i], scratch));
                }
                keys.add(attached(NDArrays.concat(new NDList(k), 0)));
                values.add(attached(NDArrays.concat(new NDList(v), 0)));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private NDArray attached(NDArray a) {
        a.attach(manager);
        return a;
    }

    /**
     * Row {@code row} of {@code src}, {@code [1, kvHeads, allocated, headDim]}: its positions {@code
     * real} moved to end at {@link #length()}, zeros before and after.
     */
    private NDArray placeRow(NDArray src, int row, int[] real, NDManager scratch) {
        NDList parts = new NDList();
        int pad = length() - real.length;
        if (pad > 0) {
            parts.add(scratch.zeros(rowShape(pad)));
        }
        for (int j = 0; j < real.length; ) {
            int run = runLength(real, j); // copy runs of consecutive positions at once
            NDArray piece = src.get(new NDIndex().addSliceDim(row, row + 1).addAllDim()
                    .addSliceDim(real[j], real[j] + run));
            piece.attach(scratch);
            parts.add(piece);
            j += run;
        }
        if (allocated > length()) {
            parts.add(scratch.zeros(rowShape(allocated - length())));
        }
        NDArray placed = NDArrays.concat(parts, 2);
        placed.attach(scratch);
        return placed;
    }

    private Shape rowShape(int positions) {
        return new Shape(1, config.numKeyValueHeads(), positions, config.headDim());
    }

    private Shape shape(int positions) {
        return new Shape(batchSize(), config.numKeyValueHeads(), positions, config.headDim());
    }

    /**
     * Makes room for {@code total} positions before a step writes them: grows every layer's
     * arrays (copying what they hold) when they are too small. Failing leaves the cache as it was.
     */
    void reserve(int total) {
        checkOpen();
        int target = grownSize(allocated, total);
        if (target == allocated) {
            return;
        }
        List<NDArray> k = new ArrayList<>();
        List<NDArray> v = new ArrayList<>();
        try (NDManager scratch = manager.newSubManager()) {
            for (int i = 0; i < keys.size(); i++) {
                k.add(grow(keys.get(i), target, scratch));
                v.add(grow(values.get(i), target, scratch));
            }
        } catch (RuntimeException e) {
            k.forEach(NDArray::close);
            v.forEach(NDArray::close);
            throw e;
        }
        for (int i = 0; i < keys.size(); i++) {
            keys.set(i, k.get(i)).close();
            values.set(i, v.get(i)).close();
        }
        allocated = target;
    }

    private NDArray grow(NDArray old, int target, NDManager scratch) {
        NDArray extra = scratch.zeros(shape(target - allocated));
        NDArray grown = old.concat(extra, 2);
        grown.attach(manager);
        return grown;
    }

    /** A copy of {@code from}: its arrays duplicated into a sibling manager. */
    private PtKvCache(PtKvCache from) {
        super(from);
        this.config = from.config;
        this.manager = from.manager.getParentManager().newSubManager();
        this.allocated = from.allocated;
        this.keys = new ArrayList<>();
        this.values = new ArrayList<>();
        for (int i = 0; i < from.keys.size(); i++) {
            NDArray kc = from.keys.get(i).duplicate();
            kc.attach(manager);
            keys.add(kc);
            NDArray vc = from.values.get(i).duplicate();
            vc.attach(manager);
            values.add(vc);
        }
    }

    List<NDArray> keys() {
        return keys;
    }

    List<NDArray> values() {
        return values;
    }

    /** Marks the positions a successful step wrote, with their padding, as held. */
    void advance(int[][] newMask) {
        append(newMask);
    }

    @Override
    protected void truncateStorage(int newLength) {
        // Positions past the length are never read (the mask stops at past + seq), so no zeroing.
    }

    @Override
    public KvCache copy() {
        return new PtKvCache(this);
    }

    /** What a full cache takes (the storage grows to this as positions are used). */
    @Override
    public long sizeInBytes() {
        return 2L * config.numHiddenLayers() * batchSize() * config.numKeyValueHeads() * capacity()
                * config.headDim() * Float.BYTES;
    }

    /** Positions the storage holds room for now (grows with use, up to the capacity). */
    int allocated() {
        return allocated;
    }

    @Override
    protected void release() {
        manager.close();
    }
}
