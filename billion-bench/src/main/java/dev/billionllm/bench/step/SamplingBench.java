package dev.billionllm.bench.step;

import dev.billionllm.core.generate.LogitsProcessor;
import dev.billionllm.core.generate.LogitsProcessors;
import java.util.Locale;
import java.util.Random;

/**
 * Microseconds per token of the top-p, min-p and top-k (k = 50) filters at vocabulary sizes of the models we run
 * (768: the fixtures, 32000: TinyLlama, 128256: Llama 3.2), on synthetic logits shaped like a
 * language model's: Gaussian noise plus twenty ids raised by about 8 nats. {@code sigma} sets how
 * flat the noise is (1: a wide nucleus of thousands of ids, 3: hundreds).
 *
 * <pre>
 * java -cp $CP dev.billionllm.bench.step.SamplingBench [--reps 300]
 * </pre>
 */
public final class SamplingBench {
    private SamplingBench() {}

    public static void main(String[] args) {
        int reps = args.length == 2 && args[0].equals("--reps") ? Integer.parseInt(args[1]) : 300;
        System.out.printf(Locale.ROOT, "%-6s %-7s %12s %12s %12s %10s%n", "sigma", "vocab", "top-p us", "min-p us", "top-k us",
                "kept");
        for (double sigma : new double[] {1, 3}) {
            for (int vocab : new int[] {768, 32_000, 128_256}) {
                Random random = new Random(1);
                float[] logits = new float[vocab];
                for (int i = 0; i < vocab; i++) {
                    logits[i] = (float) (random.nextGaussian() * sigma);
                }
                for (int i = 0; i < 20; i++) {
                    logits[random.nextInt(vocab)] += (float) (8 + 2 * random.nextGaussian());
                }
                float[] out = new float[vocab];
                double topP = micros(LogitsProcessors.topP(0.9), logits, out, reps);
                int kept = 0;
                for (float f : out) {
                    kept += f == Float.NEGATIVE_INFINITY ? 0 : 1;
                }
                double minP = micros(LogitsProcessors.minP(0.05), logits, out, reps);
                double topK = micros(LogitsProcessors.topK(50), logits, out, reps);
                System.out.printf(Locale.ROOT, "%-6.0f %-7d %12.1f %12.1f %12.1f %10d%n", sigma, vocab, topP, minP, topK,
                        kept);
            }
        }
    }

    /** Mean over {@code reps} calls, after as many warm-up calls (the JIT compiles the filter first). */
    private static double micros(LogitsProcessor filter, float[] logits, float[] out, int reps) {
        for (int r = 0; r < reps; r++) {
            System.arraycopy(logits, 0, out, 0, logits.length);
            filter.process(out, new int[0]);
        }
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) {
            System.arraycopy(logits, 0, out, 0, logits.length);
            filter.process(out, new int[0]);
        }
        return (System.nanoTime() - t0) / 1e3 / reps;
    }
}
