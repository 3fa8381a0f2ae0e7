package dev.billionllm.core.backend.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.KvCache;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link KvCache} of {@link PtCausalLM}: per layer, keys and values preallocated as
 * {@code [batch, kvHeads, capacity, headDim]} fp32 arrays in the cache's own manager and written in
 * place. Which positions are padding is kept in Java by {@link AbstractKvCache}, so masks and
 * positions need no engine call.
 */
final class PtKvCache extends AbstractKvCache {
    private final ModelConfig config;
    private final NDManager manager;
    private final List<NDArray> keys;
    private final List<NDArray> values;

    /** An empty cache: zeroed arrays in a new sub-manager of {@code parent}. */
    PtKvCache(PtCausalLM owner, NDManager parent, int batchSize, int capacity) {
        super(owner, batchSize, capacity);
        this.config = owner.config();
        this.manager = parent.newSubManager();
        Shape shape = new Shape(batchSize, config.numKeyValueHeads(), capacity, config.headDim());
        List<NDArray> k = new ArrayList<>();
        List<NDArray> v = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            k.add(manager.zeros(shape));
            v.add(manager.zeros(shape));
        }
        this.keys = List.copyOf(k);
        this.values = List.copyOf(v);
    }

    /** A copy of {@code from}: its arrays duplicated into a sibling manager. */
    private PtKvCache(PtKvCache from) {
        super(from);
        this.config = from.config;
        this.manager = from.manager.getParentManager().newSubManager();
        List<NDArray> k = new ArrayList<>();
        List<NDArray> v = new ArrayList<>();
        for (int i = 0; i < from.keys.size(); i++) {
            NDArray kc = from.keys.get(i).duplicate();
            kc.attach(manager);
            k.add(kc);
            NDArray vc = from.values.get(i).duplicate();
            vc.attach(manager);
            v.add(vc);
        }
        this.keys = List.copyOf(k);
        this.values = List.copyOf(v);
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

    @Override
    public long sizeInBytes() {
        return 2L * config.numHiddenLayers() * batchSize() * config.numKeyValueHeads() * capacity()
                * config.headDim() * Float.BYTES;
    }

    @Override
    protected void release() {
        manager.close();
    }
}
