package dev.billionllm.examples;

import dev.billionllm.bench.RandomWeights;
import dev.billionllm.bench.report.ModelReport;
import dev.billionllm.bench.report.Reports;
import dev.billionllm.bench.speed.SpeedConfig;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.spec.SeedSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmarks one model, like the Python project's {@code benchmark.py --model tinyllama --skip-mmlu},
 * and writes {@code <out>/<model>.md/.csv/.json} with charts; {@code --compare} turns the JSON files
 * of earlier runs into {@code docs/COMPARISON.md}. One model per run, so that the peak RSS is that
 * model's own.
 *
 * <pre>
 * Benchmark --model tinyllama --random-weights --skip-mmlu --out bench-out
 * Benchmark --model /models/TinyLlama-1.1B-Chat-v1.0 --mmlu-data mmlu/data --shots 5 --limit 20
 * Benchmark --compare bench-out --docs docs
 * </pre>
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Speed, memory, MMLU and perplexity of one model; or a comparison of earlier runs.")
public final class Benchmark implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, description = "seed spec id (tinyllama, llama-3.2-1b, stablelm-2-1.6b, pythia-1b) or model folder")
    String model;

    @Option(names = "--random-weights", description = "build the model's full-size shape with random weights")
    boolean randomWeights;

    @Option(names = "--backend", description = "pytorch or onnxruntime (default: pytorch for safetensors folders;"
            + " always pytorch with --random-weights)")
    String backend;

    @Option(names = "--device", defaultValue = "cpu", description = "device (default ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "intra-op threads, 0 = engine default")
    int threads;

    @Option(names = "--pp", split = ",", defaultValue = "128", description = "prompt lengths (default ${DEFAULT-VALUE})")
    List<Integer> pp;

    @Option(names = "--tg", split = ",", defaultValue = "128", description = "generation lengths (default ${DEFAULT-VALUE})")
    List<Integer> tg;

    @Option(names = "--reps", defaultValue = "3", description = "timed repetitions (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup", defaultValue = "1", description = "untimed runs first (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--skip-speed", description = "no speed tests")
    boolean skipSpeed;

    @Option(names = "--skip-mmlu", description = "no MMLU even when --mmlu-data is given")
    boolean skipMmlu;

    @Option(names = "--mmlu-data", description = "MMLU folder: data/dev + data/test CSVs, dev.jsonl + test.jsonl, or cais/mmlu parquet")
    Path mmluData;

    @Option(names = "--shots", defaultValue = "5", description = "MMLU few-shot examples (default ${DEFAULT-VALUE})")
    int shots;

    @Option(names = "--limit", defaultValue = "0", description = "MMLU questions per subject, 0 = all")
    int limit;

    @Option(names = "--ppl-text", description = "UTF-8 text file for perplexity")
    Path pplText;

    @Option(names = "--window", defaultValue = "1024", description = "perplexity window (default ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--stride", defaultValue = "512", description = "perplexity stride (default ${DEFAULT-VALUE})")
    int stride;

    @Option(names = "--out", defaultValue = "bench-out", description = "report folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--compare", description = "folder of earlier runs' JSON reports to compare")
    Path compare;

    @Option(names = "--docs", defaultValue = "docs", description = "where --compare writes COMPARISON.md")
    Path docs;

    @Option(names = "--produced-with", description = "commands quoted in COMPARISON.md (default: the --compare call)")
    String producedWith;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command, with errors reported as one line instead of a stack trace. */
    public static CommandLine commandLine() {
        return new CommandLine(new Benchmark()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + e.getMessage());
            return 2;
        });
    }

    @Override
    public Integer call() throws IOException {
        if (compare != null) {
            List<ModelReport> reports = new ArrayList<>();
            try (Stream<Path> files = Files.list(compare)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                    reports.addAll(Reports.readJson(Files.readString(f), f.toString()));
                }
            }
            if (reports.isEmpty()) {
                throw new IllegalArgumentException("no JSON reports in " + compare);
            }
            Path md = dev.billionllm.bench.Benchmark.writeComparison(reports, docs, producedWith != null ? producedWith
                    : "Benchmark --compare " + compare + " --docs " + docs);
            out().println("wrote " + md);
            return 0;
        }
        if (model == null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--model or --compare is required");
        }
        LoadOptions options = LoadOptions.builder().optBackend(backend).optDevice(device).optThreads(threads).build();
        Path folder = Path.of(model);
        boolean isFolder = Files.isRegularFile(folder.resolve("config.json"));
        String name = isFolder ? folder.getFileName().toString() : model.replace("/", "--");
        var builder = dev.billionllm.bench.Benchmark.builder()
                .optRuntime(backend != null ? backend : "pytorch", device, threads)
                .optRandomWeights(randomWeights)
                .optSpeed(skipSpeed ? null : new SpeedConfig(pp, tg, reps, warmup, 42))
                .optProgress(out()::println);
        if (randomWeights) {
            ModelConfig config = isFolder ? ModelConfigParser.parse(folder.resolve("config.json"))
                    : SeedSpecs.bundledConfig(model).orElseThrow(() -> new IllegalArgumentException(
                            "\"" + model + "\" is neither a model folder nor a seed spec id"));
            builder.setModel(name, RandomWeights.source(config, options, 42));
        } else {
            // Whatever Model.load takes: a folder, a downloaded spec or Hub repo id, a bundled model.
            builder.setModel(name, model, options);
            if (mmluData != null && !skipMmlu) {
                builder.optMmlu(mmluData, shots, limit);
            }
            if (pplText != null) {
                builder.optPerplexity(pplText, window, stride);
            }
        }
        ModelReport report = builder.build().run();
        dev.billionllm.bench.Benchmark.writeReports(List.of(report), out, name);
        out().print(Reports.markdown(List.of(report), ""));
        out().println("wrote " + out.resolve(name + ".md"));
        return 0;
    }
}
