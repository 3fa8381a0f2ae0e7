package dev.billionllm.bench.step;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.billionllm.bench.export.OrtStepProfile;
import dev.billionllm.bench.speed.Environment;
import dev.billionllm.bench.speed.Stats;
import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.cache.ExportCache;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.generate.Sampler;
import dev.billionllm.core.generate.Samplers;
import dev.billionllm.core.internal.backend.onnx.OnnxBackend;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.tokenize.IncrementalDecoder;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Per-step time of greedy decoding on one model, taken apart, for the PyTorch backend and ONNX
 * exports (fp32 and int8, from the export cache):
 *
 * <ul>
 *   <li><b>generator</b>: one {@code Generator} decode step (forward, logits processors, sampling,
 *       stop checks, incremental detokenisation, events), from the result's decode timing;
 *   <li><b>forward</b>: one {@code CausalLM.forward} of one token after the prompt;
 *   <li><b>engine</b>: the engine alone. ONNX: {@code session.run} on a raw session of the same
 *       file and options, its inputs made before the clock starts and its presents fed back as the
 *       next pasts, so forward − engine is the Java side (arrays, tensors, logits copy, cache
 *       bookkeeping). PyTorch: not separable (a step is many engine calls); the cost of one small
 *       engine call is printed instead;
 *   <li><b>sample</b> (greedy and top-p) and <b>detok</b> (incremental decoder) per token, alone.
 * </ul>
 *
 * <p>{@code --clock cpu} times with the calling thread's CPU time instead of the wall clock. With
 * {@code --threads 1} every engine runs its kernels on the calling thread, so this counts the work a
 * step does and not the time other processes took the core away: the steady measure on a shared,
 * busy machine. Medians of {@code --runs}.
 *
 * <pre>
 * java -cp $CP dev.billionllm.bench.step.StepOverheadBench testdata/tiny-tinyllama [--threads 2] [--steps 64]
 *     [--runs 5] [--backends pytorch,onnx-fp32,onnx-int8] [--clock wall|cpu]
 * </pre>
 */
public final class StepOverheadBench {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** Untimed runs of the generator and of the forward loop before any is timed. */
    private static final int WARMUP_RUNS = 3;
    /** Nanoseconds of the clock chosen with --clock. */
    private static LongSupplier clock = System::nanoTime;

    private StepOverheadBench() {}

    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args[0]);
        int threads = 2;
        int steps = 64;
        int runs = 5;
        List<String> backends = List.of("pytorch", "onnx-fp32", "onnx-int8");
        boolean cpuClock = false;
        for (int a = 1; a < args.length; a++) {
            switch (args[a]) {
                case "--threads" -> threads = Integer.parseInt(args[++a]);
                case "--steps" -> steps = Integer.parseInt(args[++a]);
                case "--runs" -> runs = Integer.parseInt(args[++a]);
                case "--backends" -> backends = List.of(args[++a].split(","));
                case "--clock" -> {
                    cpuClock = args[++a].equals("cpu");
                    clock = cpuClock ? THREADS::getCurrentThreadCpuTime : System::nanoTime;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[a]
                        + " (--threads N, --steps N, --runs N, --backends pytorch,onnx-fp32,onnx-int8, --clock wall|cpu)");
            }
        }
        Environment env = Environment.capture();
        System.out.printf(Locale.ROOT, "%s; %d threads; %d decode steps x %d runs; %s clock; cpu %s; OMP_WAIT_POLICY %s, "
                + "ORT spinning %s; load %s%n", folder.getFileName(), threads, steps, runs,
                cpuClock ? "thread CPU" : "wall", env.cpuLine(), env.ompWaitPolicy(),
                spinning(), Environment.loadAverage());
        System.out.printf(Locale.ROOT, "%-10s %12s %12s %12s %12s %12s %12s %12s%n", "backend", "generator ms",
                "forward ms", "engine ms", "java ms", "greedy us", "top-p us", "detok us");
        for (String backend : backends) {
            Path toLoad = folder;
            String engineName = "pytorch";
            if (backend.startsWith("onnx-")) {
                Precision p = Precision.valueOf(backend.substring(5).toUpperCase(Locale.ROOT));
                toLoad = ExportCache.atDefaultLocation()
                        .obtain(folder, ExportOptions.builder().setPrecision(p).build(), null).folder();
                engineName = "onnxruntime";
            }
            LoadOptions.Builder options = LoadOptions.builder().optThreads(threads).optBackend(engineName);
            if (engineName.equals("onnxruntime")) {
                // Only the ONNX backend reads this option (LoadOptions refuses it for PyTorch).
                options.optBackendOption(OnnxBackend.SPINNING, String.valueOf(spinning()));
            }
            try (Model model = Model.load(toLoad, options.build())) {
                Row row = measure(model, toLoad, engineName, threads, steps, runs);
                System.out.printf(Locale.ROOT, "%-10s %12.3f %12.3f %12.3f %12.3f %12.1f %12.1f %12.1f%n", backend,
                        row.generatorMs, row.forwardMs, row.engineMs, row.forwardMs - row.engineMs, row.greedyUs,
                        row.topPUs, row.detokUs);
            }
        }
    }

    record Row(double generatorMs, double forwardMs, double engineMs, double greedyUs, double topPUs,
            double detokUs) {}

    static Row measure(Model model, Path folder, String engine, int threads, int steps, int runs) throws Exception {
        CausalLM lm = model.lm();
        int vocab = lm.config().vocabSize();
        int[] prompt = new SplittableRandom(7).ints(16, 3, Math.min(vocab, lm.usableVocabSize())).toArray();

        // generator: the whole step as a user sees it (eos ignored so every run takes `steps` steps)
        Generator generator = model.generator();
        GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(steps + 1).optTemperature(0)
                .optEosTokenIds(List.of()).build();
        // Warm both paths up before either is timed, then alternate them: timed first and warmed by one
        // run, the generator used to pay the JIT's warm-up that the forward loop after it did not
        // (PyTorch: ~1.0 ms against ~0.5 ms for the same forward passes).
        for (int w = 0; w < WARMUP_RUNS; w++) {
            generatorStepMs(generator, prompt, greedy);
            forwardStepMs(lm, prompt, steps);
        }
        double[] gen = new double[runs];
        double[] fwd = new double[runs];
        for (int r = 0; r < runs; r++) {
            gen[r] = generatorStepMs(generator, prompt, greedy);
            fwd[r] = forwardStepMs(lm, prompt, steps);
        }

        double engineMs = engine.equals("onnxruntime")
                ? rawOrtStep(folder, threads, prompt.length, steps, runs)
                : ptEngineEstimate();

        float[] logits = new float[vocab];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) rng.nextGaussian() * 3;
        }
        int[] context = Arrays.copyOf(prompt, prompt.length + 1);
        double greedyUs = perCallMicros(Samplers.forConfig(greedy, lm.usableVocabSize(), 1), logits, context);
        GenerationConfig topP = GenerationConfig.builder().optTemperature(0.8).optTopP(0.9).optTopK(0).build();
        double topPUs = perCallMicros(Samplers.forConfig(topP, lm.usableVocabSize(), 1), logits, context);

        double detokUs = 0;
        int n = 0;
        long t = clock.getAsLong();
        for (int r = 0; r < 50; r++) {
            IncrementalDecoder d = model.tokenizer().newIncrementalDecoder(true);
            for (int s = 0; s < steps; s++) {
                d.add(3 + (s * 37) % (Math.min(vocab, lm.usableVocabSize()) - 3));
                n++;
            }
            d.flush();
        }
        detokUs = (clock.getAsLong() - t) / 1e3 / n;
        return new Row(Stats.percentile(gen, 50), Stats.percentile(fwd, 50), engineMs, greedyUs, topPUs, detokUs);
    }

    /** One generation's decode steps alone: (prefill + steps) minus a one-token generation (prefill). */
    private static double generatorStepMs(Generator generator, int[] prompt, GenerationConfig greedy) {
        GenerationConfig one = greedy.toBuilder().optMaxNewTokens(1).build();
        long t0 = clock.getAsLong();
        generator.generate(Prompt.ids(prompt), one);
        long t1 = clock.getAsLong();
        GenerationResult res = generator.generate(Prompt.ids(prompt), greedy);
        long t2 = clock.getAsLong();
        return ((t2 - t1) - (t1 - t0)) / 1e6 / (res.tokenIds().size() - 1);
    }

    /** One {@code CausalLM.forward} of one token per call after the prompt, averaged over {@code steps}. */
    private static double forwardStepMs(CausalLM lm, int[] prompt, int steps) {
        try (KvCache cache = lm.newCache(1, prompt.length + steps + 1)) {
            lm.forward(TokenBatch.of(new int[][] {prompt}), cache, LogitsMode.LAST);
            long t = clock.getAsLong();
            for (int s = 0; s < steps; s++) {
                lm.forward(TokenBatch.of(new int[][] {{prompt[s % prompt.length]}}), cache, LogitsMode.LAST);
            }
            return (clock.getAsLong() - t) / 1e6 / steps;
        }
    }

    private static double perCallMicros(Sampler sampler, float[] logits, int[] context) {
        int reps = 2000;
        for (int i = 0; i < reps; i++) {
            sampler.sample(logits, context);
        }
        long t = clock.getAsLong();
        for (int i = 0; i < reps; i++) {
            sampler.sample(logits, context);
        }
        return (clock.getAsLong() - t) / 1e3 / reps;
    }

    /** Median ms of one raw {@code session.run} decode step, presents fed back as pasts. */
    static double rawOrtStep(Path folder, int threads, int promptLength, int steps, int runs) throws OrtException {
        Engine.getEngine("OnnxRuntime");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = OrtStepProfile.sessionOptions(threads, spinning())) {
            try (OrtSession session = env.createSession(folder.resolve("model.onnx").toString(), so)) {
                double[] ms = new double[runs];
                for (int r = -WARMUP_RUNS; r < runs; r++) {
                    Map<String, OnnxTensor> pasts = OrtStepProfile.pastInputs(env, session, 0);
                    long total = 0;
                    int past = 0;
                    for (int s = 0; s <= steps; s++) {
                        int seq = s == 0 ? promptLength : 1;
                        Map<String, OnnxTensor> in = new HashMap<>(pasts);
                        List<OnnxTensor> made = OrtStepProfile.tokenInputs(env, in, past, seq);
                        long t = clock.getAsLong();
                        OrtSession.Result result = session.run(in);
                        if (s > 0) {
                            total += clock.getAsLong() - t;
                        }
                        made.forEach(OnnxTensor::close);
                        pasts.values().forEach(OnnxTensor::close);
                        pasts = new HashMap<>();
                        for (Map.Entry<String, OnnxValue> e : result) {
                            if (e.getKey().startsWith("present")) {
                                pasts.put(e.getKey().replace("present", "past_key_values"), (OnnxTensor) e.getValue());
                            } else {
                                e.getValue().close();
                            }
                        }
                        past += seq;
                    }
                    pasts.values().forEach(OnnxTensor::close);
                    if (r >= 0) {
                        ms[r] = total / 1e6 / steps;
                    }
                }
                return Stats.percentile(ms, 50);
            }
        }
    }

    /**
     * PyTorch has no single call to time: prints the cost of one small engine call (a [1, 64] add
     * and its close), the unit a step pays per engine call, and returns NaN for the engine column.
     */
    static double ptEngineEstimate() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray a = m.ones(new Shape(1, 64));
            NDArray b = m.ones(new Shape(1, 64));
            int reps = 20000;
            for (int i = 0; i < reps; i++) {
                a.add(b).close();
            }
            long t = clock.getAsLong();
            for (int i = 0; i < reps; i++) {
                a.add(b).close();
            }
            double perCallUs = (clock.getAsLong() - t) / 1e3 / reps;
            System.out.printf(Locale.ROOT, "  (pytorch: one small engine call %.1f us)%n", perCallUs);
            return Double.NaN; // no single engine call to time: the column reads NaN
        }
    }

    /** ONNX Runtime spinning: {@code -Dbillion.onnx.spinning}, else the backend's default (as OnnxExportBench). */
    static boolean spinning() {
        return Boolean.parseBoolean(System.getProperty("billion.onnx.spinning", OnnxBackend.DEFAULT_SPINNING));
    }
}
