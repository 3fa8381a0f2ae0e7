package dev.billionllm.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.adapter.LoraConfig;
import dev.billionllm.core.adapter.LoraTargets;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.internal.backend.pytorch.LoraLayers;
import dev.billionllm.core.internal.backend.pytorch.LoraModule;
import dev.billionllm.core.internal.backend.pytorch.PtNoGrad;
import dev.billionllm.core.internal.model.Scalars;
import dev.billionllm.core.internal.model.Step;
import dev.billionllm.core.internal.model.Transformer;
import dev.billionllm.core.internal.model.WeightReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * LoRA training on DJL's PyTorch engine: the frozen base {@link Transformer} (loaded once, never
 * copied), trainable {@code A}/{@code B} per targeted module, the causal-LM loss computed in the
 * engine, and an optimizer step with global-norm clipping and {@link AdamW}.
 *
 * <pre>{@code
 * try (LoraTrainer t = LoraTrainer.create(config, WeightReader.of(source, dir), lora, 42, DataType.FLOAT32)) {
 *     LoraTrainer.StepResult r = t.step(List.of(batch), 2e-4, 1.0, 42);
 *     LoraAdapter adapter = t.adapter();
 * }
 * }</pre>
 *
 * <p>How it avoids DJL's autograd traps:
 * <ul>
 *   <li>Gradients accumulate in PyTorch until zeroed: {@link #step} zeroes them after every update,
 *       so micro-batches of one step add up and steps do not.
 *   <li>DJL allows one open {@code GradientCollector} per JVM: one is opened per micro-batch and
 *       closed before the next; a clash is reported instead of leaving grad mode on.
 *   <li>Grad mode is per thread: evaluation and the optimizer update run under {@link PtNoGrad};
 *       inference elsewhere ({@code PtCausalLM}) does the same.
 *   <li>Every {@code getGradient()} array is a new handle owned by the parameter's manager: each is
 *       closed right after use.
 *   <li>Each forward/backward runs in a sub-manager closed at the end of the micro-batch, so native
 *       memory stays flat over long runs.
 * </ul>
 * Not thread-safe; one trainer per JVM at a time.
 */
public final class LoraTrainer implements AutoCloseable {
    /** Additive mask value for positions a query may not see. */
    private static final float MASKED = -1e30f;

    private final ModelConfig config;
    private final LoraConfig lora;
    private final DataType dtype;
    private final NDManager manager; // base weights
    private final NDManager paramManager; // A, B and optimizer moments
    private final Transformer model;
    private final LoraLayers layers;
    private final Map<String, LoraModule> modules;
    private final List<NDArray> params = new ArrayList<>(); // A0, B0, A1, B1, ...
    private final AdamW optimizer;

    /**
     * Result of one optimizer step.
     *
     * @param loss mean token cross-entropy over the step's trained labels
     * @param gradNorm global gradient norm before clipping
     * @param tokens trained labels in the step
     */
    public record StepResult(double loss, double gradNorm, long tokens) {}

    private LoraTrainer(ModelConfig config, LoraConfig lora, DataType dtype, NDManager manager, Transformer model,
            LoraLayers layers, Map<String, LoraModule> modules, double weightDecay) {
        this.config = config;
        this.lora = lora;
        this.dtype = dtype;
        this.manager = manager;
        this.paramManager = modules.isEmpty() ? manager : modules.values().iterator().next().a().getManager();
        this.model = model;
        this.layers = layers;
        this.modules = modules;
        modules.values().forEach(m -> {
            params.add(m.a());
            params.add(m.b());
        });
        this.optimizer = new AdamW(params, 0.9, 0.999, 1e-8, weightDecay);
    }

    /**
     * Loads the base weights frozen and adds LoRA modules initialised as PEFT does: A
     * Kaiming-uniform ({@code kaiming_uniform_(a=sqrt(5))}, i.e. U(-1/sqrt(in), 1/sqrt(in))), B zero,
     * so training starts from the base model exactly.
     *
     * @param dtype FLOAT32 for training, FLOAT64 for gradient checks
     * @param weightDecay AdamW's decoupled decay
     */
    public static LoraTrainer create(ModelConfig config, WeightReader weights, LoraConfig lora, long seed,
            DataType dtype, double weightDecay) {
        Engine engine = Engine.getEngine("PyTorch");
        NDManager manager = engine.newBaseManager();
        try {
            LoraLayers layers = LoraLayers.of(config);
            WeightReader typed = dtype == DataType.FLOAT32 ? weights : converting(weights, dtype);
            Transformer model = Transformer.load(config, typed, manager, layers);
            Map<String, LoraTargets.Module> selected = layers.targets().selected(lora);
            if (selected.isEmpty()) {
                throw new IllegalArgumentException("target modules " + (lora.targetRegex() != null ? lora.targetRegex()
                        : lora.targetModules()) + " match no module of this model; per layer it has "
                        + layers.targets().shortNames());
            }
            NDManager paramManager = manager.newSubManager();
            SplittableRandom random = new SplittableRandom(seed);
            Map<String, LoraModule> modules = new LinkedHashMap<>();
            for (LoraTargets.Module m : selected.values()) {
                int r = lora.rank(m.name());
                float bound = (float) (1 / Math.sqrt(m.inFeatures()));
                float[] a = new float[Math.toIntExact(r * m.inFeatures())];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (random.nextDouble() * 2 - 1) * bound;
                }
                NDArray aArr = EngineArrays.engineOwned(paramManager.create(a, new Shape(r, m.inFeatures())), dtype);
                NDArray bArr = paramManager.zeros(new Shape(m.outFeatures(), r), dtype);
                modules.put(m.name(), new LoraModule(aArr, bArr, (float) lora.scaling(m.name()), (float) lora.dropout()));
            }
            for (LoraModule m : modules.values()) {
                m.a().setRequiresGradient(true);
                m.b().setRequiresGradient(true);
            }
            layers.setModules(modules);
            return new LoraTrainer(config, lora, dtype, manager, model, layers, modules, weightDecay);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static WeightReader converting(WeightReader weights, DataType dtype) {
        return (parameter, m) -> {
            NDArray f = weights.read(parameter, m);
            if (f == null) {
                return null;
            }
            NDArray d = f.toType(dtype, true);
            f.close();
            return d;
        };
    }

    public ModelConfig config() {
        return config;
    }

    public LoraConfig loraConfig() {
        return lora;
    }

    /** Trainable parameters, A then B per module. */
    public List<NDArray> parameters() {
        return params;
    }

    /** Trainable modules by PEFT module name. */
    public Map<String, LoraModule> modules() {
        return modules;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /**
     * Sum of the token cross-entropies of {@code batch} (labels shifted by one, untrained and padding
     * positions masked), as a scalar in {@code step}. Records a graph when called inside a collector.
     * Only this scalar ever leaves the engine; logits stay there.
     */
    public NDArray lossSum(List<Example> batch, NDManager step) {
        int rows = batch.size();
        int seq = 0;
        for (Example e : batch) {
            seq = Math.max(seq, e.ids().length);
        }
        long[] ids = new long[rows * seq];
        long[] targets = new long[rows * seq];
        float[] weights = new float[rows * seq];
        float[] mask = new float[rows * seq * seq];
        int[][] positions = new int[rows][seq];
        for (int b = 0; b < rows; b++) {
            Example e = batch.get(b);
            int len = e.ids().length;
            for (int t = 0; t < seq; t++) {
                positions[b][t] = t;
                ids[b * seq + t] = t < len ? e.ids()[t] : 0;
                if (t + 1 < len && e.trained()[t + 1]) {
                    targets[b * seq + t] = e.ids()[t + 1];
                    weights[b * seq + t] = 1f;
                }
                for (int j = 0; j < seq; j++) {
                    // Right padding: a real query sees real keys up to itself; a padding query sees the
                    // real prefix (never all-masked, so no NaN), and its loss weight is 0 anyway.
                    mask[(b * seq + t) * seq + j] = j <= t && j < len ? 0f : MASKED;
                }
            }
        }
        NDArray idArray = step.create(ids, new Shape(rows, seq));
        NDList cosSin = model.rope().cosSin(positions, step);
        NDArray maskArray = step.create(mask, new Shape(rows, 1, 1, seq, seq)).toType(dtype, false);
        Step s = new Step(step, cosSin.get(0).toType(dtype, false), cosSin.get(1).toType(dtype, false), maskArray, 0,
                null, null);
        // Only labelled positions reach the vocabulary projection: with prompt/completion or chat data
        // most positions are context, and [positions, vocab] logits (plus log-softmax and their
        // gradients) are the largest arrays of a step.
        int labelled = 0;
        for (float w : weights) {
            labelled += w > 0 ? 1 : 0;
        }
        long[] rowsOfLabels = new long[labelled];
        long[] labels = new long[labelled];
        for (int i = 0, j = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                rowsOfLabels[j] = i;
                labels[j++] = targets[i];
            }
        }
        NDArray hidden = model.hidden(idArray, s); // [B, S, H]
        NDArray selected = hidden.reshape(rows * seq, hidden.getShape().get(2))
                .get(new ai.djl.ndarray.index.NDIndex("{}", step.create(rowsOfLabels))); // [N, H]
        NDArray logProbs = model.logits(selected).logSoftmax(-1); // [N, V]
        return logProbs.gather(step.create(labels, new Shape(labelled, 1)), 1).sum().neg();
    }

    /** Trained labels in {@code batch}. */
    static long labels(List<Example> batch) {
        long n = 0;
        for (Example e : batch) {
            n += e.labelCount();
        }
        return n;
    }

    /**
     * Gradients of the mean token loss over {@code microBatches} (summed into the parameters' grads,
     * each micro-batch weighted by its share of the labels, so the result is the gradient of the mean
     * over all labels of the step, whatever the split).
     *
     * @return the mean loss
     */
    public double accumulate(List<List<Example>> microBatches, long dropoutSeed) {
        long total = 0;
        for (List<Example> b : microBatches) {
            total += labels(b);
        }
        if (total == 0) {
            throw new IllegalArgumentException("no trained label in this step");
        }
        Engine engine = Engine.getEngine("PyTorch");
        layers.setTraining(true);
        double lossSum = 0;
        try {
            for (int i = 0; i < microBatches.size(); i++) {
                // Dropout masks depend on the step and micro-batch only, so a resumed run draws the same.
                engine.setRandomSeed((int) (dropoutSeed * 31 + i));
                try (NDManager step = paramManager.newSubManager(); GradientCollector collector = openCollector()) {
                    NDArray sum = lossSum(microBatches.get(i), step);
                    // Not sum.div(total): see Scalars (autograd would keep a Java-backed constant).
                    collector.backward(Scalars.apply(sum, total, NDArray::div));
                    lossSum += sum.toType(DataType.FLOAT64, false).getDouble();
                }
            }
        } finally {
            layers.setTraining(false);
        }
        return lossSum / total;
    }

    private static GradientCollector openCollector() {
        boolean before = JniUtils.isGradMode();
        try {
            return Engine.getEngine("PyTorch").newGradientCollector();
        } catch (IllegalStateException e) {
            // DJL turns grad mode on before it finds the other collector; undo that on this thread.
            JniUtils.setGradMode(before);
            throw new BillionException("another GradientCollector is open in this JVM (DJL allows one at a time); "
                    + "finish the other training first", e);
        }
    }

    /**
     * Global L2 norm of the current gradients; when above {@code maxNorm} (> 0), scales every gradient
     * by {@code maxNorm / (norm + 1e-6)} in place, as {@code torch.nn.utils.clip_grad_norm_}.
     * (DJL's {@code optClipGrad} clamps each value instead, which changes the direction.)
     *
     * @return the norm before clipping
     */
    public double clipGradients(double maxNorm) {
        double sq = 0;
        try (PtNoGrad off = PtNoGrad.enter()) {
            for (NDArray p : params) {
                // Ops on g land in g's manager (the parameters'); attach it to a scratch manager for
                // the sum so that the square and the cast are closed with it.
                try (NDArray g = p.getGradient(); NDManager tmp = paramManager.newSubManager()) {
                    tmp.tempAttachAll(g);
                    sq += g.square().sum().toType(DataType.FLOAT64, false).getDouble();
                }
            }
            double norm = Math.sqrt(sq);
            if (maxNorm > 0 && norm > maxNorm) {
                double coef = maxNorm / (norm + 1e-6);
                for (NDArray p : params) {
                    try (NDArray g = p.getGradient()) {
                        g.muli(coef);
                    }
                }
            }
            return norm;
        }
    }

    /** Applies AdamW with the current gradients, then zeroes them. */
    public void update(double lr) {
        try (PtNoGrad off = PtNoGrad.enter()) {
            List<NDArray> grads = new ArrayList<>();
            try {
                for (NDArray p : params) {
                    grads.add(p.getGradient());
                }
                optimizer.step(grads, lr);
            } finally {
                grads.forEach(NDArray::close);
            }
            zeroGradients();
        }
    }

    /** Sets every parameter's gradient to zero (PyTorch adds new gradients to the old ones). */
    public void zeroGradients() {
        for (NDArray p : params) {
            JniUtils.zeroGrad((PtNDArray) p);
        }
    }

    /**
     * One optimizer step: gradients of {@code microBatches}, clipping, AdamW at {@code lr}. A
     * non-finite loss or gradient norm skips the update and drops the gradients (as torch.amp's
     * GradScaler skips such steps), so one overflow cannot turn every weight into NaN; the caller
     * sees it in the result and decides when to give up.
     */
    public StepResult step(List<List<Example>> microBatches, double lr, double maxGradNorm, long dropoutSeed) {
        double loss = accumulate(microBatches, dropoutSeed);
        double norm = clipGradients(maxGradNorm);
        if (Double.isFinite(loss) && Double.isFinite(norm)) {
            update(lr);
        } else {
            zeroGradients();
        }
        long tokens = 0;
        for (List<Example> b : microBatches) {
            tokens += labels(b);
        }
        return new StepResult(loss, norm, tokens);
    }

    /** Mean token loss over {@code examples} without recording gradients or dropout. */
    public double evalLoss(List<Example> examples, int batchSize) {
        double sum = 0;
        long n = 0;
        try (PtNoGrad off = PtNoGrad.enter()) {
            for (int i = 0; i < examples.size(); i += batchSize) {
                List<Example> batch = examples.subList(i, Math.min(examples.size(), i + batchSize));
                try (NDManager step = paramManager.newSubManager()) {
                    sum += lossSum(batch, step).toType(DataType.FLOAT64, false).getDouble();
                }
                n += labels(batch);
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Logits {@code [seq * vocab]} of one unpadded sequence, without gradients or dropout (for checks). */
    float[] logits(int[] ids) {
        try (PtNoGrad off = PtNoGrad.enter(); NDManager step = paramManager.newSubManager()) {
            int seq = ids.length;
            long[] longs = new long[seq];
            int[][] positions = new int[1][seq];
            float[] mask = new float[seq * seq];
            for (int t = 0; t < seq; t++) {
                longs[t] = ids[t];
                positions[0][t] = t;
                for (int j = 0; j < seq; j++) {
                    mask[t * seq + j] = j <= t ? 0f : MASKED;
                }
            }
            NDList cosSin = model.rope().cosSin(positions, step);
            Step s = new Step(step, cosSin.get(0).toType(dtype, false), cosSin.get(1).toType(dtype, false),
                    step.create(mask, new Shape(1, 1, 1, seq, seq)).toType(dtype, false), 0, null, null);
            return model.forward(step.create(longs, new Shape(1, seq)), s, false).toType(DataType.FLOAT32, false)
                    .toFloatArray();
        }
    }

    /** The current A and B as a PEFT adapter (fp32 copies). */
    public LoraAdapter adapter() {
        Map<String, LoraAdapter.Weights> out = new LinkedHashMap<>();
        modules.forEach((name, m) -> {
            Shape a = m.a().getShape();
            Shape b = m.b().getShape();
            out.put(name, new LoraAdapter.Weights((int) a.get(0), a.get(1), b.get(0), floats(m.a()), floats(m.b())));
        });
        return new LoraAdapter(lora, out);
    }

    private static float[] floats(NDArray a) {
        try (PtNoGrad off = PtNoGrad.enter(); NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }

    /** Overwrites A and B with a saved adapter's (to resume); its modules must be this trainer's. */
    public void load(LoraAdapter adapter) {
        if (!adapter.modules().keySet().equals(modules.keySet())) {
            throw new IllegalArgumentException("checkpoint adapts " + adapter.modules().keySet() + " but this run adapts "
                    + modules.keySet() + "; resume with the same --targets and --rank");
        }
        try (PtNoGrad off = PtNoGrad.enter()) {
            adapter.modules().forEach((name, w) -> {
                LoraModule m = modules.get(name);
                EngineArrays.copyInto(m.a(), w.a(), "checkpoint matrix " + name + ".lora_A");
                EngineArrays.copyInto(m.b(), w.b(), "checkpoint matrix " + name + ".lora_B");
            });
        }
    }

    /** Arrays alive in the trainer's managers (a per-step leak shows here). */
    public int liveArrays() {
        return ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size()
                + (paramManager == manager ? 0 : ((ai.djl.ndarray.BaseNDManager) paramManager).getManagedArrays().size());
    }

    @Override
    public void close() {
        layers.close();
        manager.close();
    }
}
