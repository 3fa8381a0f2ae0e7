package dev.billionllm.core.internal.backend.pytorch;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.billionllm.core.adapter.AdaptedBackend;
import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.List;
import java.util.Set;

/**
 * The PyTorch model with unmerged LoRA adapters beside its frozen weights: what
 * {@link AdaptedBackend} loads, behind its engine-free {@link AdaptedBackend.Adapted}. The
 * adapters' arrays live in one sub-manager of the model's, closed with it.
 */
public final class PtAdaptedLM implements AdaptedBackend.Adapted {
    private final PtCausalLM lm;
    private final LoraLayers layers;
    private final NDManager adapterManager;

    private PtAdaptedLM(PtCausalLM lm, LoraLayers layers, NDManager adapterManager) {
        this.lm = lm;
        this.layers = layers;
        this.adapterManager = adapterManager;
    }

    /**
     * Loads the base weights with a LoRA hook on every projection and adds {@code adapters}
     * (already checked against {@code layers.targets()}).
     */
    public static PtAdaptedLM load(ModelConfig config, TensorSource weights, String source, LoadOptions options,
            LoraLayers layers, List<LoraAdapter> adapters) {
        PtCausalLM lm = PtCausalLM.load(config, WeightReader.of(weights, source), options, layers);
        NDManager manager = lm.newSubManager();
        try {
            for (LoraAdapter a : adapters) {
                layers.add(a, manager, DataType.FLOAT32);
            }
        } catch (RuntimeException e) {
            manager.close();
            lm.close();
            throw e;
        }
        return new PtAdaptedLM(lm, layers, manager);
    }

    @Override
    public void clearAdapters() {
        layers.clear();
    }

    @Override
    public void setAdapters(List<LoraAdapter> adapters) {
        for (LoraAdapter a : adapters) {
            a.checkAgainst(layers.targets()); // all checked before any is replaced
        }
        layers.clear();
        for (LoraAdapter a : adapters) {
            layers.add(a, adapterManager, DataType.FLOAT32);
        }
    }

    @Override
    public Set<String> activeModules() {
        return layers.activeModules();
    }

    @Override
    public ModelConfig config() {
        return lm.config();
    }

    @Override
    public int usableVocabSize() {
        return lm.usableVocabSize();
    }

    @Override
    public KvCache newCache(int batchSize, int capacity) {
        return lm.newCache(batchSize, capacity);
    }

    @Override
    public Logits forward(TokenBatch batch, KvCache cache, LogitsMode mode) {
        return lm.forward(batch, cache, mode);
    }

    @Override
    public boolean canStackRows() {
        return lm.canStackRows();
    }

    @Override
    public KvCache stackRows(List<CacheRow> rows, int capacity) {
        return lm.stackRows(rows, capacity);
    }

    @Override
    public void close() {
        try {
            layers.close();
            adapterManager.close();
        } finally {
            lm.close();
        }
    }
}
