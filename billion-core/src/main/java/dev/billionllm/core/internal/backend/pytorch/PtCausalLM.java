package dev.billionllm.core.internal.backend.pytorch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.arch.Numerics;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.internal.model.LinearHook;
import dev.billionllm.core.internal.model.Step;
import dev.billionllm.core.internal.model.Transformer;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.List;

/**
 * {@link CausalLM} on DJL's PyTorch engine: fp32 weights in one manager on the chosen device, the
 * shared {@link Transformer} math, and a {@link PtKvCache}. Each {@link #forward} call runs in its own
 * sub-manager that is closed before returning, so only the logits (copied to a {@code float[]}) and
 * the cache contents outlive a step.
 *
 * <pre>{@code
 * try (CausalLM lm = PtCausalLM.load(config, WeightReader.of(source, dir), LoadOptions.defaults());
 *      KvCache cache = lm.newCache(1, 128)) {
 *     Logits logits = lm.forward(TokenBatch.of(ids), cache, LogitsMode.LAST);
 * }
 * }</pre>
 */
public final class PtCausalLM implements CausalLM {
    private final ModelConfig config;
    private final NDManager manager;
    private final Transformer model;
    private final int usableVocabSize;
    private boolean closed;

    private PtCausalLM(ModelConfig config, NDManager manager, Transformer model, int usableVocabSize) {
        this.config = config;
        this.manager = manager;
        this.model = model;
        this.usableVocabSize = usableVocabSize;
    }

    /**
     * Builds a model from {@code weights} on the device of {@code options}.
     *
     * @throws BillionException if the device does not exist or a weight is missing or misshapen
     */
    public static PtCausalLM load(ModelConfig config, WeightReader weights, LoadOptions options) {
        return load(config, weights, options, LinearHook.NONE);
    }

    /**
     * Like {@link #load(ModelConfig, WeightReader, LoadOptions)}, passing every projection through
     * {@code hook} (unmerged LoRA adapters wrap them there).
     */
    public static PtCausalLM load(ModelConfig config, WeightReader weights, LoadOptions options, LinearHook hook) {
        Engine engine = Engine.getEngine("PyTorch");
        if (options.threads() > 0) {
            // Process-wide: torch has one intra-op pool shared by every model in the JVM.
            JniUtils.setNumThreads(options.threads());
        }
        int usable = options.usableVocabSize() == 0 ? config.vocabSize() : options.usableVocabSize();
        if (usable > config.vocabSize()) {
            throw new IllegalArgumentException("usableVocabSize " + usable + " exceeds the model's vocab_size "
                    + config.vocabSize());
        }
        Device device = device(engine, options.device());
        NDManager manager = engine.newBaseManager(device);
        try {
            Transformer model = Transformer.load(config, weights, manager, hook);
            return new PtCausalLM(config, manager, model, usable);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static Device device(Engine engine, String name) {
        if (name == null) {
            return engine.defaultDevice();
        }
        Device device;
        try {
            device = Device.fromName(name);
        } catch (RuntimeException e) {
            throw new BillionException("unknown device \"" + name + "\"; use cpu, gpu or gpu:N", e);
        }
        if (device.isGpu() && device.getDeviceId() >= engine.getGpuCount()) {
            throw new BillionException("device " + name + " requested but PyTorch sees " + engine.getGpuCount()
                    + " GPU(s); use cpu or leave the device unset");
        }
        return device;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int usableVocabSize() {
        return usableVocabSize;
    }

    @Override
    public KvCache newCache(int batchSize, int capacity) {
        checkOpen();
        return new PtKvCache(this, manager, batchSize, capacity);
    }

    @Override
    public Logits forward(TokenBatch batch, KvCache cache, LogitsMode mode) {
        checkOpen();
        PtKvCache c = AbstractKvCache.checkForward(this, PtKvCache.class, cache, batch,
                IllegalArgumentException::new);
        int rows = batch.batchSize();
        int seq = batch.length();
        int past = c.length();
        int total = past + seq;
        long[] ids = batch.flatIds();
        int[][] newMask = AbstractKvCache.maskOf(batch);
        int[][] positions = c.positions(newMask);
        // Query t of a row sees cached or new key j when j is a real token and not in its future.
        float[] mask = new float[rows * seq * total];
        for (int b = 0; b < rows; b++) {
            for (int t = 0; t < seq; t++) {
                int o = (b * seq + t) * total;
                for (int j = 0; j < total; j++) {
                    boolean real = j < past ? c.isReal(b, j) : newMask[b][j - past] == 1;
                    mask[o + j] = real && j <= past + t ? 0f : Numerics.MASKED_SCORE;
                }
            }
        }

        c.reserve(total);
        // Inference never records gradients, whatever the thread's grad mode (see PtNoGrad).
        try (PtNoGrad noGrad = PtNoGrad.enter(); NDManager step = manager.newSubManager()) {
            NDArray idArray = step.create(ids, new Shape(rows, seq));
            NDList cosSin = model.rope().cosSin(positions, step);
            NDArray maskArray = step.create(mask, new Shape(rows, 1, 1, seq, total));
            Step s = new Step(step, cosSin.get(0), cosSin.get(1), maskArray, past, c.keys(), c.values());
            boolean last = mode == LogitsMode.LAST;
            float[] values = model.forward(idArray, s, last).toFloatArray();
            c.advance(newMask);
            return new Logits(rows, last ? 1 : seq, config.vocabSize(), values);
        }
    }

    @Override
    public boolean canStackRows() {
        return true;
    }

    @Override
    public KvCache stackRows(List<CacheRow> rows, int capacity) {
        checkOpen();
        List<PtKvCache> sources = AbstractKvCache.checkStack(this, PtKvCache.class, rows);
        try (PtNoGrad noGrad = PtNoGrad.enter()) {
            return new PtKvCache(this, manager, rows, sources, capacity);
        }
    }

    /**
     * A new sub-manager of the weights' manager (same device), for arrays that live beside the
     * weights, such as unmerged LoRA matrices; closed with the model at the latest.
     */
    public NDManager newSubManager() {
        checkOpen();
        return manager.newSubManager();
    }

    /** Arrays alive in the model's manager and its sub-managers (weights, caches; a leak shows here). */
    int liveArrays() {
        return ((BaseNDManager) manager).getManagedArrays().size();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this model is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
