package dev.billionllm.bench;

import dev.billionllm.bench.mmlu.MmluDataset;
import dev.billionllm.bench.mmlu.MmluEvaluator;
import dev.billionllm.bench.mmlu.MmluResult;
import dev.billionllm.bench.report.Comparison;
import dev.billionllm.bench.report.ModelReport;
import dev.billionllm.bench.report.Reports;
import dev.billionllm.bench.score.Perplexity;
import dev.billionllm.bench.score.PerplexityResult;
import dev.billionllm.bench.speed.Environment;
import dev.billionllm.bench.speed.MemorySnapshot;
import dev.billionllm.bench.speed.SpeedBench;
import dev.billionllm.bench.speed.SpeedConfig;
import dev.billionllm.bench.speed.SpeedResult;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One model's benchmark run: load (timed), speed tests, MMLU, perplexity, memory, environment,
 * returned as a {@link ModelReport}. The CLI and the {@code Benchmark} example build one per model
 * and hand the reports to {@link #writeReports} or {@link #writeComparison}.
 *
 * <pre>{@code
 * ModelReport report = Benchmark.builder()
 *         .setModel("tinyllama", "tinyllama", LoadOptions.builder().optDevice("cpu").build())
 *         .optSpeed(SpeedConfig.pp128tg128(5))
 *         .optMmlu(Path.of("mmlu/data"), 5, 20)
 *         .build()
 *         .run();
 * Benchmark.writeReports(List.of(report), Path.of("bench-out"), "tinyllama");
 * }</pre>
 */
public final class Benchmark {

    /** Produces the model under test; the time it takes is reported as the load time. */
    @FunctionalInterface
    public interface ModelSource {
        CausalLM load();
    }

    private final Builder b;

    private Benchmark(Builder b) {
        this.b = b;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs every configured part and returns the report. */
    public ModelReport run() {
        long t0 = System.nanoTime();
        // A named model comes with its tokenizer; a source (random weights) gives the bare LM.
        Model model = b.reference != null ? Model.load(b.reference, b.loadOptions) : null;
        try (CausalLM lm = model != null ? model.lm() : b.source.load()) {
            Tokenizer tokenizer = b.tokenizer != null ? b.tokenizer : model != null ? model.tokenizer() : null;
            String backend = model != null ? model.backend() : b.backend;
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            b.progress.accept(String.format("%s: loaded in %.2f s", b.model, loadSeconds));
            List<SpeedResult> speed = List.of();
            if (b.speed != null) {
                speed = new SpeedBench(lm, b.speed).run();
                for (SpeedResult s : speed) {
                    b.progress.accept(String.format("%s: %s %.2f ± %.2f tok/s", b.model, s.test(), s.tokensPerSecond(),
                            s.tokensPerSecondStddev()));
                }
            }
            MmluResult mmlu = null;
            if (b.mmluData != null) {
                mmlu = new MmluEvaluator(lm, requireTokenizer(tokenizer, "MMLU")).numFewshot(b.mmluShots).limit(b.mmluLimit)
                        .progress(line -> b.progress.accept(b.model + ": mmlu " + line))
                        .evaluate(MmluDataset.load(b.mmluData));
                b.progress.accept(String.format("%s: MMLU %d-shot micro %.4f macro %.4f", b.model, mmlu.numFewshot(),
                        mmlu.microAccuracy(), mmlu.macroAccuracy()));
            }
            PerplexityResult ppl = null;
            if (b.perplexityText != null) {
                String text = readText(b.perplexityText);
                ppl = Perplexity.ofText(lm, requireTokenizer(tokenizer, "perplexity"), text, b.window, b.stride);
                b.progress.accept(String.format("%s: perplexity %.4f over %d tokens", b.model, ppl.perplexity(),
                        ppl.scoredTokens()));
            }
            long params = lm.config().parameterCount();
            return new ModelReport(b.model, backend, b.device, b.threads, b.randomWeights, params,
                    params * b.bytesPerParameter, loadSeconds, speed, MemorySnapshot.capture(), mmlu, ppl,
                    Environment.capture(b.probeEngines), Instant.now().toString());
        } finally {
            if (model != null) {
                model.tokenizer().close();
            }
        }
    }

    private static Tokenizer requireTokenizer(Tokenizer tokenizer, String what) {
        if (tokenizer == null) {
            throw new BillionException(what + " needs a tokenizer; set one with optTokenizer (random-weight models have "
                    + "none, and their scores would mean nothing anyway)");
        }
        return tokenizer;
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read perplexity text " + file, e);
        }
    }

    /** Writes {@code name.md/.csv/.json} and the charts of {@code reports} into {@code dir}. */
    public static void writeReports(List<ModelReport> reports, Path dir, String name) {
        Reports.writeAll(reports, dir, name);
    }

    /** Writes {@code docsDir/COMPARISON.md} and its charts and data; {@code command} is quoted in it. */
    public static Path writeComparison(List<ModelReport> reports, Path docsDir, String command) {
        return Comparison.write(reports, docsDir, command);
    }

    /** Options of a {@link Benchmark}; {@code set*} are required, {@code opt*} optional. */
    public static final class Builder {
        private String model;
        private ModelSource source;
        private String reference;
        private LoadOptions loadOptions;
        private Tokenizer tokenizer;
        private String backend = "pytorch";
        private String device = "cpu";
        private int threads;
        private boolean randomWeights;
        private SpeedConfig speed = SpeedConfig.pp128tg128(5);
        private Path mmluData;
        private int mmluShots;
        private int mmluLimit;
        private Path perplexityText;
        private int window;
        private int stride;
        private int bytesPerParameter = 4;
        private boolean probeEngines = true;
        private Consumer<String> progress = s -> {};

        private Builder() {}

        /**
         * Required (this or {@link #setModel(String, ModelSource)}): the model's name in reports,
         * and what to load with {@link Model#load(String, LoadOptions)} (a spec id, Hub repo id,
         * folder or bundled model). Its tokenizer serves MMLU and perplexity, and its backend,
         * device and threads are reported.
         */
        public Builder setModel(String name, String reference, LoadOptions options) {
            this.model = Objects.requireNonNull(name, "name");
            this.reference = Objects.requireNonNull(reference, "reference");
            this.loadOptions = Objects.requireNonNull(options, "options");
            this.source = null;
            return optRuntime(options.backend() != null ? options.backend() : backend,
                    options.device() != null ? options.device() : device, options.threads());
        }

        /**
         * Required (this or {@link #setModel(String, String, LoadOptions)}): the model's name in reports and
         * a source that builds it (random weights, for example).
         */
        public Builder setModel(String name, ModelSource source) {
            this.model = Objects.requireNonNull(name, "name");
            this.source = Objects.requireNonNull(source, "source");
            this.reference = null;
            return this;
        }

        /**
         * Tokenizer for MMLU and perplexity (the caller closes it). Default: the model's own when
         * it was set by name, else none (those parts then fail).
         */
        public Builder optTokenizer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /** Backend, device and threads as reports show them. Default "pytorch", "cpu", 0 (engine default). */
        public Builder optRuntime(String backend, String device, int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be >= 0, got " + threads);
            }
            this.backend = Objects.requireNonNull(backend);
            this.device = Objects.requireNonNull(device);
            this.threads = threads;
            return this;
        }

        /** Marks the model as built with random weights in every table and chart. Default false. */
        public Builder optRandomWeights(boolean randomWeights) {
            this.randomWeights = randomWeights;
            return this;
        }

        /** Speed tests to run, or null to skip them. Default pp128 and tg128, 5 repetitions, 1 warm-up. */
        public Builder optSpeed(SpeedConfig speed) {
            this.speed = speed;
            return this;
        }

        /**
         * Runs MMLU from {@code data} (see {@link MmluDataset#load}). Default: skipped.
         *
         * @param shots dev examples per prompt (0 to 5)
         * @param limit questions per subject, 0 = all
         */
        public Builder optMmlu(Path data, int shots, int limit) {
            if (shots < 0 || limit < 0) {
                throw new IllegalArgumentException("shots and limit must be >= 0, got " + shots + " and " + limit);
            }
            this.mmluData = Objects.requireNonNull(data);
            this.mmluShots = shots;
            this.mmluLimit = limit;
            return this;
        }

        /** Runs sliding-window perplexity over a UTF-8 text file. Default: skipped. */
        public Builder optPerplexity(Path text, int window, int stride) {
            if (window < 2 || stride < 1 || stride > window) {
                throw new IllegalArgumentException("need window >= 2 and 1 <= stride <= window, got window " + window
                        + " and stride " + stride);
            }
            this.perplexityText = Objects.requireNonNull(text);
            this.window = window;
            this.stride = stride;
            return this;
        }

        /**
         * Bytes one weight takes in the backend's memory, for the weights figure. Default 4: the
         * PyTorch backend holds fp32 on CPU (its JNI has no bf16).
         */
        public Builder optBytesPerParameter(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("bytes per parameter must be >= 1, got " + bytes);
            }
            this.bytesPerParameter = bytes;
            return this;
        }

        /** Whether to start the PyTorch and ONNX Runtime engines to report their versions. Default true. */
        public Builder optProbeEngines(boolean probe) {
            this.probeEngines = probe;
            return this;
        }

        /** Receives progress lines. Default: nothing. */
        public Builder optProgress(Consumer<String> progress) {
            this.progress = Objects.requireNonNull(progress);
            return this;
        }

        public Benchmark build() {
            if (model == null) {
                throw new IllegalStateException("setModel(reference, options) or setModel(name, source) is required");
            }
            return new Benchmark(this);
        }
    }
}
