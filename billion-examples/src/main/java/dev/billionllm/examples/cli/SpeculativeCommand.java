package dev.billionllm.examples.cli;

import dev.billionllm.bench.report.Charts;
import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.DecodingStrategy;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.TokenListener;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.speculative.SpeculativeDecoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code billion speculative}: the same prompts with plain decoding, a matched draft, a mismatched
 * draft (another tokenizer, re-tokenized) and prompt lookup; checks every output equals plain
 * decoding's and prints tokens/s, acceptance and speed-up, plus a PNG chart. Offline by default, on
 * the bundled small-llama pair.
 */
@Command(name = "speculative", mixinStandardHelpOptions = true,
        description = "When does speculative decoding pay? Plain vs matched draft vs mismatched draft vs prompt lookup.")
final class SpeculativeCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", defaultValue = "small-llama-target",
            description = "Target model (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--backend", paramLabel = "NAME", description = "Target backend (default: by folder).")
    String backend;

    @Option(names = "--variant", paramLabel = "NAME", description = "ONNX variant of the target.")
    String variant;

    @Option(names = "--draft", paramLabel = "MODEL", defaultValue = "small-llama-draft",
            description = "Matched draft: same tokenizer (default: ${DEFAULT-VALUE}).")
    String draft;

    @Option(names = "--draft-backend", paramLabel = "NAME", description = "Backend of the matched draft.")
    String draftBackend;

    @Option(names = "--draft-variant", paramLabel = "NAME", description = "ONNX variant of the matched draft.")
    String draftVariant;

    @Option(names = "--mismatched", paramLabel = "MODEL", defaultValue = "tiny-tinyllama",
            description = "Draft with another tokenizer, run in cross-tokenizer mode; 'none' skips it (default: ${DEFAULT-VALUE}).")
    String mismatched;

    @Option(names = "--draft-tokens", paramLabel = "N", defaultValue = "5", description = "Candidates per round.")
    int draftTokens;

    @Option(names = {"-n", "--max-new-tokens"}, paramLabel = "N", defaultValue = "40", description = "Tokens per prompt.")
    int maxNewTokens;

    @Option(names = {"-t", "--temperature"}, paramLabel = "T", defaultValue = "0",
            description = "0 = greedy (outputs must be identical); > 0 samples with a seed (distribution preserved).")
    double temperature;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "3", description = "Timed passes over the prompts (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Intra-op threads of every model.")
    int threads;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt (repeatable; default: four bundled ones).")
    List<String> prompts;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "speculative-out", description = "Where the PNG goes.")
    Path out;

    /** One configuration: its generator and its totals over every prompt and pass. */
    private static final class Row {
        final String name;
        final Generator generator;
        long tokens;
        long nanos;
        long drafted;
        long accepted;
        int rounds;
        long draftNanos;
        long targetNanos;
        boolean identical = true;

        Row(String name, Generator generator) {
            this.name = name;
            this.generator = generator;
        }

        void add(GenerationResult r, long elapsedNanos) {
            nanos += elapsedNanos;
            tokens += r.tokenIds().size();
            drafted += r.metrics().draftedTokens();
            accepted += r.metrics().acceptedTokens();
            draftNanos += r.metrics().draftTime().toNanos();
            targetNanos += r.metrics().targetTime().toNanos();
            rounds += r.metrics().rounds();
        }

        double tokensPerSecond() {
            return nanos == 0 ? 0 : tokens * 1e9 / nanos;
        }
    }

    @Override
    public Integer call() {
        List<String> texts = prompts != null && !prompts.isEmpty() ? prompts : List.of("the cat sat on",
                "counting: one two three", "one plus two is", "question: what colour is the sky? answer:");
        LoadOptions options = LoadOptions.builder().optThreads(threads).build();
        try (Model t = load(target, options.toBuilder().optBackend(backend).optVariant(variant).build());
                Model d = load(draft, options.toBuilder().optBackend(draftBackend).optVariant(draftVariant).build());
                Model mis = mismatched.equals("none") ? null : load(mismatched, options)) {
            GenerationConfig.Builder cb = GenerationConfig.builder().optMaxNewTokens(maxNewTokens).optTemperature(temperature);
            GenerationConfig config = temperature > 0 ? cb.optSeed(1234).build() : cb.build();
            Generator plain = t.generator();
            SpeculativeDecoding.Builder matched = SpeculativeDecoding.withDraftModel(d.lm()).optDraftTokenizer(d.tokenizer())
                    .optDraftTokens(draftTokens);
            List<Row> rows = new ArrayList<>(); // the first is plain decoding, the reference of the others
            rows.add(new Row("plain", withStrategy(plain, DecodingStrategy.plain())));
            rows.add(new Row("draft " + d.folder().getFileName(), withStrategy(plain, matched.build())));
            // build() copies the builder's settings, so the adaptive variant can extend the same builder
            rows.add(new Row("draft adaptive", withStrategy(plain, matched.optAdaptive(true).build())));
            rows.add(new Row("prompt lookup", withStrategy(plain, SpeculativeDecoding.withPromptLookup().build())));
            if (mis != null && temperature == 0) {
                rows.add(new Row("mismatched " + mis.folder().getFileName(), withStrategy(plain,
                        SpeculativeDecoding.withDraftModel(mis.lm()).optDraftTokenizer(mis.tokenizer())
                                .optCrossTokenizer(true).optDraftTokens(draftTokens).build())));
            }
            for (Row row : rows) {
                CliShutdown.generate(row.generator, Prompt.text(texts.get(0)), config, TokenListener.NONE); // warm-up: JIT, native allocations
            }
            // strategies take turns on each prompt, so that a busy machine or a JIT still warming up
            // slows them alike
            for (int pass = 0; pass < repeats; pass++) {
                for (String text : texts) {
                    List<Integer> reference = null;
                    for (Row row : rows) {
                        long t0 = System.nanoTime();
                        GenerationResult r = CliShutdown.generate(row.generator, Prompt.text(text), config, TokenListener.NONE);
                        row.add(r, System.nanoTime() - t0);
                        if (reference == null) {
                            reference = r.tokenIds();
                        } else {
                            row.identical &= r.tokenIds().equals(reference);
                        }
                    }
                }
            }
            print(rows, config);
            Path png = chart(rows);
            cli.out.println("chart: " + png.toAbsolutePath());
            boolean allIdentical = rows.stream().allMatch(r -> r.identical);
            if (temperature == 0 && !allIdentical) {
                cli.err.println("ERROR: a speculative output differs from plain greedy decoding");
                return 1;
            }
            return 0;
        }
    }

    private static Generator withStrategy(Generator plain, DecodingStrategy strategy) {
        return plain.toBuilder().optDecodingStrategy(strategy).build();
    }

    private Model load(String reference, LoadOptions options) {
        ModelOptions.noteBundled(reference, cli.err);
        return Model.load(reference, options);
    }

    private void print(List<Row> rows, GenerationConfig config) {
        double base = rows.get(0).tokensPerSecond();
        cli.out.printf(Locale.ROOT, "target %s, %d tokens per prompt, %s, %d pass(es) after a warm-up%n", target,
                maxNewTokens, config.isGreedy() ? "greedy" : "sampling at temperature " + temperature, repeats);
        cli.out.printf(Locale.ROOT, "%-32s %9s %11s %10s %9s %9s %9s %s%n", "strategy", "tok/s", "acceptance",
                "tok/round", "draft s", "target s", "speed-up", config.isGreedy() ? "same ids as plain" : "");
        for (Row r : rows) {
            double acc = r.drafted == 0 ? 0 : (double) r.accepted / r.drafted;
            double perRound = r.rounds == 0 ? 1 : (double) (r.accepted + r.rounds) / r.rounds;
            cli.out.printf(Locale.ROOT, "%-32s %9.1f %10.0f%% %10.2f %9.2f %9.2f %8.2fx %s%n", r.name,
                    r.tokensPerSecond(), 100 * acc, perRound, r.draftNanos / 1e9, r.targetNanos / 1e9,
                    base > 0 ? r.tokensPerSecond() / base : 0,
                    config.isGreedy() ? (r.identical ? "yes" : "NO") : "");
        }
        cli.out.flush();
    }

    private Path chart(List<Row> rows) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Row r : rows) {
            data.addValue(r.tokensPerSecond(), "tokens/s", r.name);
        }
        JFreeChart chart = ChartFactory.createBarChart("Speculative decoding: " + target + " ("
                + (temperature == 0 ? "greedy" : "T=" + temperature) + ")", "strategy", "tokens/s", data,
                PlotOrientation.VERTICAL, false, false, false);
        return Charts.save(chart, out.resolve("speculative-tokens-per-second.png"));
    }
}
