package dev.billionllm.bench.export;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What speculative decoding can gain at a given shape, from measured costs rather than from
 * acceptance (random weights make acceptance meaningless): the time of one draft step (a
 * single-token forward of each draft) and of one verification (a forward of n = 1..8 tokens after a
 * 128-token cache, logits of every position copied out, then the rolled-back part truncated) on
 * each target. From these, the expected speed-up of k candidates at a per-token acceptance rate a is
 * E[tokens per round] / (round time / plain step time), with E = (1 - a^(k+1)) / (1 - a) (Leviathan
 * et al.), and the best k is reported for a = 0.5, 0.7, 0.9.
 *
 * <pre>
 * flock /tmp/bench.lock java -cp ... dev.billionllm.bench.export.SpeculativeCostBench \
 *     [--layers 22] [--draft-layers 2] [--threads N] [--repeats 5] [--work DIR] [--targets pytorch,int8]
 *     [--drafts int4,int8,small]
 * java -cp ... dev.billionllm.bench.export.SpeculativeCostBench --target FOLDER --draft FOLDER  # checkpoint or export
 * </pre>
 *
 * <p>Default: TinyLlama-1.1B's shape with random weights; targets fp32 PyTorch and an int8 ONNX
 * export; drafts int4 and int8 ONNX exports of the target and a "small llama" (the same shape cut to
 * {@code --draft-layers} layers, fp32 PyTorch). With {@code --target}/{@code --draft}, two model
 * folders instead (PyTorch).
 */
public final class SpeculativeCostBench {
    private static final int CONTEXT = 128;
    private static final int MAX_VERIFY = 8;

    private SpeculativeCostBench() {}

    public static void main(String[] args) throws IOException {
        int layers = 22;
        int draftLayers = 2;
        int threads = Runtime.getRuntime().availableProcessors();
        int repeats = 5;
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "billion-spec-bench");
        List<String> targets = List.of("pytorch", "int8");
        List<String> drafts = List.of("int4", "int8", "small");
        Path targetFolder = null;
        Path draftFolder = null;
        for (int a = 0; a < args.length; a++) {
            switch (args[a]) {
                case "--layers" -> layers = Integer.parseInt(args[++a]);
                case "--draft-layers" -> draftLayers = Integer.parseInt(args[++a]);
                case "--threads" -> threads = Integer.parseInt(args[++a]);
                case "--repeats" -> repeats = Integer.parseInt(args[++a]);
                case "--work" -> work = Path.of(args[++a]);
                case "--targets" -> targets = List.of(args[++a].split(","));
                case "--drafts" -> drafts = List.of(args[++a].split(","));
                case "--target" -> targetFolder = Path.of(args[++a]);
                case "--draft" -> draftFolder = Path.of(args[++a]);
                default -> throw new IllegalArgumentException("unknown option " + args[a] + " (--layers N, --draft-layers N, "
                        + "--threads N, --repeats N, --work DIR, --targets pytorch,int8, --drafts int4,int8,small, "
                        + "--target FOLDER, --draft FOLDER)");
            }
        }
        LoadOptions options = LoadOptions.builder().optThreads(threads).build();
        Map<String, double[]> verify = new LinkedHashMap<>(); // target -> ms of verifying n = 1..8 tokens
        Map<String, Double> draftStep = new LinkedHashMap<>(); // draft -> ms of one step
        Map<String, double[]> rollback = new LinkedHashMap<>(); // target -> ms of truncate, ms of a full copy
        if (targetFolder != null) {
            try (CausalLM t = load(targetFolder, options); CausalLM d = load(draftFolder, options)) {
                verify.put(targetFolder.getFileName().toString(), verifyCosts(t, repeats));
                rollback.put(targetFolder.getFileName().toString(), rollbackCosts(t, repeats));
                draftStep.put(draftFolder.getFileName().toString(), stepCost(d, repeats));
            }
            System.out.printf(Locale.ROOT, "%s target, %s draft; %d threads%n", targetFolder, draftFolder, threads);
        } else {
            ModelConfig config = OnnxExportBench.tinyLlama(layers);
            System.out.printf(Locale.ROOT, "TinyLlama-1.1B shape, %d layers, random weights; %d threads, %d cores%n", layers,
                    threads, Runtime.getRuntime().availableProcessors());
            for (String t : targets) {
                try (CausalLM lm = RandomLlamaWeights.open(t, config, work, options)) {
                    String name = t.equals("pytorch") ? "fp32 pytorch" : t + " onnx";
                    verify.put(name, verifyCosts(lm, repeats));
                    rollback.put(name, rollbackCosts(lm, repeats));
                }
            }
            for (String d : drafts) {
                if (d.equals("small")) {
                    ModelConfig small = OnnxExportBench.tinyLlama(draftLayers);
                    try (CausalLM lm = RandomLlamaWeights.open("pytorch", small, work, options)) {
                        draftStep.put("small llama (" + draftLayers + " layers, fp32 pytorch)", stepCost(lm, repeats));
                    }
                } else {
                    try (CausalLM lm = RandomLlamaWeights.open(d, config, work, options)) {
                        draftStep.put(d + " onnx export of the target", stepCost(lm, repeats));
                    }
                }
            }
        }
        report(verify, draftStep);
        System.out.println();
        System.out.println("rollback after a " + CONTEXT + "-token context: truncate(n - 4) now, and a copy of the whole cache"
                + " (what OrtKvCache.truncate cost before, when it copied every layer)");
        for (Map.Entry<String, double[]> e : rollback.entrySet()) {
            System.out.printf(Locale.ROOT, "%-28s truncate %8.3f ms   copy %8.3f ms%n", e.getKey(), e.getValue()[0],
                    e.getValue()[1]);
        }
    }

    /** Best-of ms of truncating 4 rejected positions, and of copying the whole cache. */
    private static double[] rollbackCosts(CausalLM lm, int repeats) {
        int[] prompt = new SplittableRandom(7).ints(CONTEXT, 3, lm.usableVocabSize()).toArray();
        double truncate = Double.MAX_VALUE;
        double copy = Double.MAX_VALUE;
        try (KvCache cache = lm.newCache(1, CONTEXT + 8)) {
            lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
            for (int r = 0; r < repeats + 1; r++) {
                lm.forward(TokenBatch.of(1, 2, 3, 4), cache, LogitsMode.LAST);
                long t0 = System.nanoTime();
                cache.truncate(CONTEXT);
                double t = (System.nanoTime() - t0) / 1e6;
                long t1 = System.nanoTime();
                try (KvCache c = cache.copy()) {
                    double ms = (System.nanoTime() - t1) / 1e6;
                    if (r > 0) {
                        copy = Math.min(copy, ms);
                    }
                }
                if (r > 0) {
                    truncate = Math.min(truncate, t);
                }
            }
        }
        return new double[] {truncate, copy};
    }

    private static CausalLM load(Path folder, LoadOptions options) {
        // an export folder runs on ONNX Runtime, a checkpoint on PyTorch
        String backend = Files.exists(folder.resolve(OnnxExporter.MODEL_FILE)) ? "onnxruntime" : "pytorch";
        return Backends.get(backend).load(folder, ModelConfigParser.parse(folder), options);
    }

    /** Best-of-{@code repeats} ms of one single-token step after a {@value #CONTEXT}-token cache. */
    private static double stepCost(CausalLM lm, int repeats) {
        return verifyCosts(lm, repeats, 1)[0];
    }

    private static double[] verifyCosts(CausalLM lm, int repeats) {
        return verifyCosts(lm, repeats, MAX_VERIFY);
    }

    /** Best-of-{@code repeats} ms of feeding n = 1..max tokens (all logits) and truncating them again. */
    private static double[] verifyCosts(CausalLM lm, int repeats, int max) {
        int[] prompt = new SplittableRandom(7).ints(CONTEXT, 3, lm.usableVocabSize()).toArray();
        double[] best = new double[max];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        try (KvCache cache = lm.newCache(1, CONTEXT + max)) {
            lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
            for (int r = 0; r < repeats + 1; r++) { // the first pass warms up
                for (int n = 1; n <= max; n++) {
                    int[] ids = java.util.Arrays.copyOf(prompt, n);
                    long t0 = System.nanoTime();
                    lm.forward(TokenBatch.of(ids), cache, n == 1 ? LogitsMode.LAST : LogitsMode.ALL);
                    cache.truncate(CONTEXT);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (r > 0) {
                        best[n - 1] = Math.min(best[n - 1], ms);
                    }
                }
            }
        }
        return best;
    }

    private static void report(Map<String, double[]> verify, Map<String, Double> draftStep) {
        System.out.println();
        System.out.print("verify n tokens (ms)        ");
        for (int n = 1; n <= MAX_VERIFY; n++) {
            System.out.printf(Locale.ROOT, "%8d", n);
        }
        System.out.println();
        for (Map.Entry<String, double[]> e : verify.entrySet()) {
            System.out.printf(Locale.ROOT, "%-28s", e.getKey());
            for (double ms : e.getValue()) {
                System.out.printf(Locale.ROOT, "%8.1f", ms);
            }
            System.out.println();
        }
        System.out.println();
        for (Map.Entry<String, Double> e : draftStep.entrySet()) {
            System.out.printf(Locale.ROOT, "draft step: %-44s %8.1f ms%n", e.getKey(), e.getValue());
        }
        System.out.println();
        System.out.println("expected speed-up over plain decoding (best k candidates per round):");
        System.out.printf(Locale.ROOT, "%-20s %-46s %12s %12s %12s%n", "target", "draft", "a=0.5", "a=0.7", "a=0.9");
        for (Map.Entry<String, double[]> t : verify.entrySet()) {
            for (Map.Entry<String, Double> d : draftStep.entrySet()) {
                List<String> cells = new ArrayList<>();
                for (double a : new double[] {0.5, 0.7, 0.9}) {
                    double[] v = t.getValue();
                    double bestSpeedUp = 0;
                    int bestK = 0;
                    for (int k = 0; k < v.length; k++) {
                        double tokens = (1 - Math.pow(a, k + 1)) / (1 - a);
                        double time = k * d.getValue() + v[k];
                        double speedUp = tokens / (time / v[0]);
                        if (speedUp > bestSpeedUp) {
                            bestSpeedUp = speedUp;
                            bestK = k;
                        }
                    }
                    cells.add(String.format(Locale.ROOT, "%.2fx (k=%d)", bestSpeedUp, bestK));
                }
                System.out.printf(Locale.ROOT, "%-20s %-46s %12s %12s %12s%n", t.getKey(), d.getKey(), cells.get(0),
                        cells.get(1), cells.get(2));
            }
        }
    }
}
