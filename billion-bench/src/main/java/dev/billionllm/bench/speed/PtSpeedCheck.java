package dev.billionllm.bench.speed;

import ai.djl.pytorch.jni.JniUtils;
import dev.billionllm.bench.RandomWeights;
import dev.billionllm.bench.export.OnnxExportBench;
import dev.billionllm.core.platform.ProcessMemory;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.generate.Sampler;
import dev.billionllm.core.generate.Samplers;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.io.IOException;
import java.util.Random;

/**
 * Benchmark (not a test): a TinyLlama-1.1B-shaped model with random fp32 weights, generated on the
 * device (no file), timed for a 128-token prefill and 128 single-token decode steps at each thread
 * count.
 *
 * <pre>
 * ./mvnw -o -q -pl billion-bench -am compile exec:java \
 *     -Dexec.mainClass=dev.billionllm.bench.speed.PtSpeedCheck -Dexec.args="1,2 128 128"
 * </pre>
 *
 * Arguments (all optional): comma-separated thread counts (default 1,2), prompt tokens (128),
 * decode tokens (128), layers (22; fewer for a quick look). The thread count is switched on the
 * loaded model with torch's process-wide setting, so one load serves every count.
 */
public final class PtSpeedCheck {

    private PtSpeedCheck() {}

    public static void main(String[] args) throws IOException {
        String[] threads = (args.length > 0 ? args[0] : "1,2").split(",");
        int promptLength = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int decode = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int layers = args.length > 3 ? Integer.parseInt(args[3]) : 22;
        ModelConfig config = OnnxExportBench.tinyLlama(layers);
        System.out.printf("TinyLlama-1.1B shape: %d layers, hidden %d, %d heads / %d kv, ffn %d, vocab %d, %.2fB"
                        + " params (fp32 %.1f GB)%n", config.numHiddenLayers(), config.hiddenSize(),
                config.numAttentionHeads(), config.numKeyValueHeads(), config.intermediateSize(),
                config.vocabSize(), config.parameterCount() / 1e9, config.parameterCount() * 4 / 1e9);
        // Timings on a shared machine mean little without its load next to them.
        System.out.printf("RSS before load: %d MB; cores %d; load average %s%n", rssMb(),
                Runtime.getRuntime().availableProcessors(), Environment.loadAverage());
        long t0 = System.nanoTime();
        try (CausalLM lm = RandomWeights.source(config, LoadOptions.builder().optDevice("cpu").build(), 42).load()) {
            System.out.printf("random weights on cpu in %.1f s; RSS %d MB%n", (System.nanoTime() - t0) / 1e9, rssMb());
            Random random = new Random(42);
            int[] prompt = random.ints(promptLength, 0, config.vocabSize()).toArray();
            for (String t : threads) {
                int n = Integer.parseInt(t.trim());
                JniUtils.setNumThreads(n);
                try (KvCache cache = lm.newCache(1, promptLength + decode)) {
                    // Warm-up: first calls allocate engine workspaces and JIT the Java side.
                    lm.forward(TokenBatch.of(new int[] {1, 2, 3, 4}), cache, LogitsMode.LAST);
                    for (int i = 0; i < 3; i++) {
                        lm.forward(TokenBatch.of(5), cache, LogitsMode.LAST);
                    }
                    cache.truncate(0);

                    long p0 = System.nanoTime();
                    lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
                    double prefill = (System.nanoTime() - p0) / 1e9;
                    long d0 = System.nanoTime();
                    int token = 1;
                    Sampler greedy = Samplers.greedy();
                    for (int i = 0; i < decode; i++) {
                        float[] logits = lm.forward(TokenBatch.of(token), cache, LogitsMode.LAST).values();
                        token = greedy.sample(logits, new int[0]);
                    }
                    double decodeSeconds = (System.nanoTime() - d0) / 1e9;
                    System.out.printf("threads %d: prefill %d tokens %.2f s = %.1f tok/s; decode %d tokens %.2f s"
                                    + " = %.2f tok/s (%.0f ms/token); RSS %d MB%n", n, promptLength, prefill,
                            promptLength / prefill, decode, decodeSeconds, decode / decodeSeconds,
                            decodeSeconds * 1000 / decode, rssMb());
                    System.out.printf("  load average %s%n", Environment.loadAverage());
                }
            }
        }
    }

    static long rssMb() {
        long kb = ProcessMemory.rssKb();
        return kb < 0 ? -1 : kb / 1024;
    }
}
