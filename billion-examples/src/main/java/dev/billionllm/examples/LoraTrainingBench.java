package dev.billionllm.examples;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.adapter.LoraConfig;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.internal.backend.pytorch.PtNoGrad;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.spec.SeedSpecs;
import dev.billionllm.finetune.Example;
import dev.billionllm.finetune.FineTuner;
import dev.billionllm.finetune.LoraTrainer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Seconds per LoRA training step and peak RSS at a real model's shape with random weights (no
 * download): r=8 on q/v and on every linear layer, at the given sequence lengths, batch 1. Prints
 * one line per configuration, with the split between the forward pass and the rest of the step
 * (backward, clipping, AdamW). Not a test: run it alone, e.g. under {@code flock /tmp/bench.lock}.
 *
 * <pre>
 * LoraTrainingBench [--model tinyllama] [--seq 128,512] [--targets q_proj,v_proj/all-linear] [--steps 3] [--threads 2] [--layers N]
 * </pre>
 */
public final class LoraTrainingBench {

    private LoraTrainingBench() {}

    public static void main(String[] args) {
        String model = "tinyllama";
        int[] seqs = {128, 512};
        String[] targetSets = {"q_proj,v_proj", LoraConfig.ALL_LINEAR};
        int steps = 3;
        int threads = 2;
        int layers = 0;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--model" -> model = v;
                case "--seq" -> seqs = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--targets" -> targetSets = v.split("/");
                case "--steps" -> steps = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--layers" -> layers = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; options: --model --seq --targets --steps --threads --layers");
            }
        }
        String id = model;
        JsonObject json = JsonParser.parseString(SeedSpecs.bundledConfigJson(model).orElseThrow(
                () -> new IllegalArgumentException("no bundled config.json for " + id
                        + "; use tinyllama, llama-3.2-1b, stablelm-2-1.6b or pythia-1b"))).getAsJsonObject();
        if (layers > 0) {
            // Fewer layers of the same widths: per-layer cost and the embedding/output share measured
            // with a fraction of the memory (a full 1.1B run needs ~5 GB and the bench lock).
            json.addProperty("num_hidden_layers", layers);
        }
        ModelConfig config = ModelConfigParser.parse(json, model + " config.json");
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads the native library before the JNI call
        JniUtils.setNumThreads(threads);
        System.out.printf("%s shape (%d layers, hidden %d, vocab %d), random fp32 weights, batch 1, %d threads, "
                + "%d timed steps after 1 warm-up%n", model, config.numHiddenLayers(), config.hiddenSize(),
                config.vocabSize(), threads, steps);
        for (String targets : targetSets) {
            LoraConfig lora = LoraConfig.builder().setRank(8).optAlpha(16).optDropout(0.05)
                    .optTargetModules(List.of(targets.split(","))).build();
            long rssBefore = FineTuner.rssKb();
            try (LoraTrainer trainer = LoraTrainer.create(config, WeightReader.random(), lora, 1, DataType.FLOAT32, 0)) {
                long rssLoaded = FineTuner.rssKb();
                long trainable = trainer.parameters().stream().mapToLong(a -> a.size()).sum();
                for (int seq : seqs) {
                    List<Example> batch = List.of(randomExample(config, seq, seq));
                    trainer.step(List.of(batch), 1e-4, 1.0, 0); // warm-up
                    long peak = FineTuner.rssKb();
                    double stepSeconds = 0;
                    double forwardSeconds = 0;
                    for (int s = 0; s < steps; s++) {
                        long t0 = System.nanoTime();
                        trainer.step(List.of(batch), 1e-4, 1.0, s + 1);
                        stepSeconds += (System.nanoTime() - t0) / 1e9;
                        peak = Math.max(peak, FineTuner.rssKb());
                        long t1 = System.nanoTime();
                        try (PtNoGrad off = PtNoGrad.enter();
                                NDManager tmp = trainer.parameters().get(0).getManager().newSubManager()) {
                            trainer.lossSum(batch, tmp).getFloat();
                        }
                        forwardSeconds += (System.nanoTime() - t1) / 1e9;
                    }
                    System.out.printf(Locale.ROOT, "targets %-14s seq %4d: %.2f s/step (forward alone %.2f s, backward + "
                            + "update %.2f s), %.0f tokens/s; %d trainable params; RSS %.2f GB with weights loaded, "
                            + "peak %.2f GB (before load %.2f GB)%n", targets, seq, stepSeconds / steps,
                            forwardSeconds / steps, (stepSeconds - forwardSeconds) / steps, seq * steps / stepSeconds,
                            trainable, rssLoaded / 1048576.0, peak / 1048576.0, rssBefore / 1048576.0);
                }
            }
        }
    }

    static Example randomExample(ModelConfig config, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[length];
        boolean[] trained = new boolean[length];
        for (int i = 0; i < length; i++) {
            ids[i] = r.nextInt(config.vocabSize());
            trained[i] = true;
        }
        return new Example(ids, trained);
    }
}
