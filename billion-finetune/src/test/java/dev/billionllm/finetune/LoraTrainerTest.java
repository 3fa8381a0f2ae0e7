package dev.billionllm.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.adapter.LoraConfig;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.internal.backend.pytorch.PtNoGrad;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The trainer's math: the loss against transformers, autograd against finite differences, AdamW by hand. */
class LoraTrainerTest {
    static final Path TINY = Fixtures.dir("tiny-tinyllama");

    static LoraTrainer trainer(LoraConfig lora, DataType dtype) {
        ModelConfig config = ModelConfigParser.parse(TINY);
        try (TensorSource source = Safetensors.open(TINY)) {
            return LoraTrainer.create(config, WeightReader.of(source, TINY.toString()), lora, 1, dtype, 0);
        }
    }

    /** The fixture's loss example: every token trained (labels = inputs, shifted inside). */
    static Example lossExample() {
        JsonObject loss = ModelConfigParser.readJson(TINY.resolve("golden.json")).getAsJsonObject("loss");
        int[] ids = new int[loss.getAsJsonArray("input_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = loss.getAsJsonArray("input_ids").get(i).getAsInt();
        }
        boolean[] all = new boolean[ids.length];
        Arrays.fill(all, true);
        return new Example(ids, all);
    }

    static double goldenNll() {
        return ModelConfigParser.readJson(TINY.resolve("golden.json")).getAsJsonObject("loss").get("mean_nll").getAsDouble();
    }

    @Test
    void firstLossIsTheBaseModelsMeanNll() {
        LoraConfig lora = LoraConfig.builder().setRank(4).optAlpha(8).optDropout(0.1).build();
        try (LoraTrainer t = trainer(lora, DataType.FLOAT32)) {
            Example ex = lossExample();
            // B starts at zero, so the adapter changes nothing yet; dropout is off in evaluation.
            double eval = t.evalLoss(List.of(ex), 1);
            t.zeroGradients();
            LoraTrainer.StepResult r = t.step(List.of(List.of(ex)), 1e-3, 1.0, 7);
            System.out.printf("[finetune] first loss %.6f, eval %.6f, golden mean_nll %.6f%n", r.loss(), eval, goldenNll());
            assertThat(eval).isCloseTo(goldenNll(), org.assertj.core.data.Offset.offset(1e-4));
            assertThat(r.tokens()).isEqualTo(ex.ids().length - 1);
            assertThat(t.evalLoss(List.of(ex), 1)).isNotEqualTo(eval); // the step changed the adapter
        }
    }

    /** Padding rows and padded positions do not change the loss: the mean over real labels only. */
    @Test
    void paddingIsMaskedAndBatchingDoesNotChangeTheLoss() {
        LoraConfig lora = LoraConfig.builder().setRank(2).build();
        try (LoraTrainer t = trainer(lora, DataType.FLOAT32)) {
            Example a = lossExample();
            Example b = new Example(Arrays.copyOf(a.ids(), 3), new boolean[] {false, true, true});
            double separately = (t.evalLoss(List.of(a), 1) * a.labelCount() + t.evalLoss(List.of(b), 1) * b.labelCount())
                    / (a.labelCount() + b.labelCount());
            double batched = t.evalLoss(List.of(a, b), 2);
            assertThat(batched).isCloseTo(separately, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    /** fp64 autograd gradients of A and B against central differences of the loss. */
    @Test
    void gradientsMatchFiniteDifferencesInFloat64() {
        LoraConfig lora = LoraConfig.builder().setRank(2).optAlpha(4).optTargetModules(List.of(LoraConfig.ALL_LINEAR))
                .build();
        try (LoraTrainer t = trainer(lora, DataType.FLOAT64)) {
            // Non-zero B, or every gradient of A would be zero.
            Random random = new Random(3);
            Map<String, LoraAdapter.Weights> w = new LinkedHashMap<>();
            t.adapter().modules().forEach((name, m) -> {
                float[] a = m.a().clone();
                float[] b = new float[m.b().length];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) random.nextGaussian() * 0.1f;
                }
                w.put(name, new LoraAdapter.Weights(m.rank(), m.in(), m.out(), a, b));
            });
            t.load(new LoraAdapter(lora, w));
            List<Example> batch = List.of(lossExample());
            t.zeroGradients();
            t.accumulate(List.of(batch), 1);
            double h = 1e-5;
            double worst = 0;
            int checked = 0;
            List<NDArray> params = t.parameters();
            for (int pi = 0; pi < params.size(); pi += 3) { // every third parameter, A and B alike
                NDArray p = params.get(pi);
                long cols = p.getShape().get(1);
                for (int s = 0; s < 3; s++) {
                    long k = random.nextInt((int) p.size());
                    NDIndex at = new NDIndex(k / cols, k % cols);
                    double analytic;
                    try (NDArray g = p.getGradient(); NDArray v = g.get(at)) {
                        analytic = v.getDouble();
                    }
                    double original;
                    double plus;
                    double minus;
                    try (PtNoGrad off = PtNoGrad.enter()) {
                        try (NDArray v = p.get(at)) {
                            original = v.getDouble();
                        }
                        p.set(at, original + h);
                        plus = t.evalLoss(batch, 1);
                        p.set(at, original - h);
                        minus = t.evalLoss(batch, 1);
                        p.set(at, original);
                    }
                    double numeric = (plus - minus) / (2 * h);
                    double rel = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-7);
                    worst = Math.max(worst, rel);
                    checked++;
                }
            }
            System.out.printf("[finetune] fp64 gradient check: %d entries, worst relative error %.3g%n", checked, worst);
            assertThat(checked).isGreaterThan(20);
            assertThat(worst).isLessThanOrEqualTo(1e-6);
        }
    }

    @Test
    void adamWStepEqualsHandComputedUpdate() {
        double[] p0 = {1.0, -2.0, 0.5};
        double[][] grads = {{0.1, -0.2, 0.3}, {-0.05, 0.4, 0.0}};
        double lr = 0.01;
        double wd = 0.1;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            NDArray p = manager.create(p0);
            AdamW opt = new AdamW(List.of(p), b1, b2, eps, wd);
            double[] expected = p0.clone();
            double[] m = new double[3];
            double[] v = new double[3];
            for (int step = 1; step <= grads.length; step++) {
                NDArray g = manager.create(grads[step - 1]);
                opt.step(List.of(g), lr);
                g.close();
                for (int i = 0; i < 3; i++) {
                    double gi = grads[step - 1][i];
                    expected[i] -= lr * wd * expected[i];
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    double mHat = m[i] / (1 - Math.pow(b1, step));
                    double vHat = v[i] / (1 - Math.pow(b2, step));
                    expected[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
                }
                assertThat(p.toDoubleArray()).containsExactly(expected, org.assertj.core.data.Offset.offset(1e-12));
            }
            assertThat(manager.getManagedArrays()).hasSize(3); // p and its two moments: no temporaries left
        }
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        LrSchedule linear = new LrSchedule(LrSchedule.Kind.LINEAR, 1.0, 2, 10);
        assertThat(linear.at(0)).isEqualTo(0.0);
        assertThat(linear.at(1)).isEqualTo(0.5);
        assertThat(linear.at(2)).isEqualTo(1.0);
        assertThat(linear.at(6)).isEqualTo(0.5);
        assertThat(linear.at(10)).isEqualTo(0.0);
        LrSchedule cosine = new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 0, 10);
        assertThat(cosine.at(5)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(cosine.at(0)).isEqualTo(1.0);
    }

    @Test
    void clippingScalesTheGlobalNorm() {
        LoraConfig lora = LoraConfig.builder().setRank(2).build();
        try (LoraTrainer t = trainer(lora, DataType.FLOAT32)) {
            t.zeroGradients();
            t.accumulate(List.of(List.of(lossExample())), 1);
            double before = t.clipGradients(0); // 0: measure only
            assertThat(before).isGreaterThan(0);
            double limit = before / 4;
            assertThat(t.clipGradients(limit)).isCloseTo(before, org.assertj.core.data.Offset.offset(before * 1e-5));
            assertThat(t.clipGradients(0)).isCloseTo(limit, org.assertj.core.data.Offset.offset(limit * 1e-4));
            // Accumulating the same batch again doubles the (clipped) gradient: grads add up until zeroed.
            t.accumulate(List.of(List.of(lossExample())), 1);
            assertThat(t.clipGradients(0)).isCloseTo(limit + before, org.assertj.core.data.Offset.offset(before * 1e-4));
            t.zeroGradients();
            assertThat(t.clipGradients(0)).isEqualTo(0.0);
        }
    }

    @Test
    void garbageCollectionsDuringTrainingChangeNothing() throws Exception {
        // DJL's x.mul(number) made the constant on a Java buffer that autograd kept without keeping
        // it alive: a GC mid-step freed it and the backward pass read freed memory (gradient norms of
        // 1e12, NaN steps). See Scalars. A thread that collects every few milliseconds made 14 of 15
        // six-step runs differ before the fix.
        LoraConfig lora = LoraConfig.builder().setRank(4).optAlpha(8).optDropout(0.1).build();
        List<Example> data = FineTunerTest.demoExamples(BeforeAfterDemo.bundledData(
                java.nio.file.Files.createTempDirectory("gc-data")));
        List<double[]> quiet = new ArrayList<>();
        List<double[]> collected = new ArrayList<>();
        float[][] quietWeights = train(lora, data, quiet, false);
        float[][] collectedWeights = train(lora, data, collected, true);
        for (int s = 0; s < quiet.size(); s++) {
            assertThat(collected.get(s)).as("loss and gradient norm of step %d", s + 1).containsExactly(quiet.get(s));
        }
        for (int i = 0; i < quietWeights.length; i++) {
            assertThat(collectedWeights[i]).as("parameter %d", i).containsExactly(quietWeights[i]);
        }
    }

    private static float[][] train(LoraConfig lora, List<Example> data, List<double[]> log, boolean collectGarbage)
            throws InterruptedException {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread collector = new Thread(() -> {
            while (!done.get()) {
                System.gc();
                try {
                    Thread.sleep(3);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (LoraTrainer t = trainer(lora, DataType.FLOAT32)) {
            if (collectGarbage) {
                collector.start();
            }
            for (int s = 0; s < 6; s++) {
                LoraTrainer.StepResult r = t.step(List.of(data.subList(2 * s, 2 * s + 2)), 1e-3, 1.0, s);
                log.add(new double[] {r.loss(), r.gradNorm()});
            }
            done.set(true);
            collector.join();
            LoraAdapter adapter = t.adapter();
            List<float[]> weights = new ArrayList<>();
            adapter.modules().values().forEach(w -> {
                weights.add(w.a());
                weights.add(w.b());
            });
            return weights.toArray(new float[0][]);
        }
    }

    /** A copy of {@code adapter} with one value of the first module's B replaced. */
    static LoraAdapter withOneB(LoraAdapter adapter, float value) {
        Map<String, LoraAdapter.Weights> modules = new LinkedHashMap<>();
        boolean first = true;
        for (Map.Entry<String, LoraAdapter.Weights> e : adapter.modules().entrySet()) {
            LoraAdapter.Weights w = e.getValue();
            float[] b = w.b().clone();
            if (first) {
                b[0] = value;
                first = false;
            }
            modules.put(e.getKey(), new LoraAdapter.Weights(w.rank(), w.in(), w.out(), w.a(), b));
        }
        return new LoraAdapter(adapter.config(), modules);
    }

    @Test
    void aNonFiniteStepChangesNothingAndLeavesNoGradientBehind() {
        LoraConfig lora = LoraConfig.builder().setRank(2).build();
        List<List<Example>> batch = List.of(List.of(lossExample()));
        try (LoraTrainer clean = trainer(lora, DataType.FLOAT32); LoraTrainer hit = trainer(lora, DataType.FLOAT32)) {
            LoraAdapter start = clean.adapter();
            // An overflow in one weight (as a too-high learning rate makes) turns the loss into NaN.
            hit.load(withOneB(start, Float.POSITIVE_INFINITY));
            LoraTrainer.StepResult bad = hit.step(batch, 1e-3, 1.0, 5);
            assertThat(Double.isFinite(bad.loss()) && Double.isFinite(bad.gradNorm())).isFalse();
            assertThat(hit.optimizer().steps()).as("a skipped step is no optimizer step").isZero();
            assertThat(hit.clipGradients(0)).as("its gradients were dropped").isEqualTo(0.0);
            LoraAdapter after = hit.adapter();
            for (String name : start.modules().keySet()) {
                assertThat(after.modules().get(name).a()).isEqualTo(start.modules().get(name).a());
            }
            // Back on finite weights, the next step is exactly a clean trainer's first step.
            hit.load(start);
            LoraTrainer.StepResult resumed = hit.step(batch, 1e-3, 1.0, 5);
            LoraTrainer.StepResult reference = clean.step(batch, 1e-3, 1.0, 5);
            // Close, not bit-equal: what this guards against (a NaN gradient left behind, a counted
            // optimizer step changing the bias correction) moves every weight by about the learning rate.
            assertThat(resumed.loss()).isCloseTo(reference.loss(), org.assertj.core.data.Offset.offset(1e-9));
            assertThat(resumed.gradNorm()).isCloseTo(reference.gradNorm(), org.assertj.core.data.Offset.offset(1e-9));
            LoraAdapter a = hit.adapter();
            LoraAdapter b = clean.adapter();
            for (String name : a.modules().keySet()) {
                assertThat(a.modules().get(name).a()).containsExactly(b.modules().get(name).a(),
                        org.assertj.core.data.Offset.offset(1e-7f));
                assertThat(a.modules().get(name).b()).containsExactly(b.modules().get(name).b(),
                        org.assertj.core.data.Offset.offset(1e-7f));
            }
        }
    }

    static List<Example> copies(Example e, int n) {
        List<Example> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(e);
        }
        return l;
    }
}
