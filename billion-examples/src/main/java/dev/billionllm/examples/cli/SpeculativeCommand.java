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

    /** One configuration's totals over every prompt and pass. */
    record Row(String name, long tokens, long nanos, long drafted, long accepted, int rounds, long draftNanos,
            long targetNanos, boolean identical) {
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
            List<String> names = new ArrayList<>(List.of("plain", "draft " + d.folder().getFileName(),
                    "draft adaptive", "prompt lookup"));
            List<DecodingStrategy> strategies = new ArrayList<>(List.of(DecodingStrategy.plain(),
                    SpeculativeDecoding.withDraftModel(d.lm()).optDraftTokenizer(d.tokenizer()).optDraftTokens(draftTokens)
                            .build(),
                    SpeculativeDecoding.withDraftModel(d.lm()).optDraftTokenizer(d.tokenizer()).optDraftTokens(draftTokens)
                            .optAdaptive(true).build(),
                    SpeculativeDecoding.withPromptLookup().build()));
            if (mis != null && temperature == 0) {
                names.add("mismatched " + mis.folder().getFileName());
                strategies.add(SpeculativeDecoding.withDraftModel(mis.lm()).optDraftTokenizer(mis.tokenizer())
                        .optCrossTokenizer(true).optDraftTokens(draftTokens).build());
            }
            List<Generator> generators = new ArrayList<>();
            for (DecodingStrategy strategy : strategies) {
                Generator g = plain.toBuilder().optDecodingStrategy(strategy).build();
                CliShutdown.generate(g, Prompt.text(texts.get(0)), config, TokenListener.NONE); // warm-up: JIT, native allocations
                generators.add(g);
            }
            // strategies take turns on each prompt, so that a busy machine or a JIT still warming up
            // slows them alike
            long[][] totals = new long[strategies.size()][6]; // tokens, nanos, drafted, accepted, draft, target
            int[] rounds = new int[strategies.size()];
            boolean[] identical = new boolean[strategies.size()];
            java.util.Arrays.fill(identical, true);
            for (int pass = 0; pass < repeats; pass++) {
                for (String text : texts) {
                    List<Integer> reference = null;
                    for (int s = 0; s < generators.size(); s++) {
                        long t0 = System.nanoTime();
                        GenerationResult r = CliShutdown.generate(generators.get(s), Prompt.text(text), config, TokenListener.NONE);
                        long[] sum = totals[s];
                        sum[1] += System.nanoTime() - t0;
                        sum[0] += r.tokenIds().size();
                        sum[2] += r.metrics().draftedTokens();
                        sum[3] += r.metrics().acceptedTokens();
                        sum[4] += r.metrics().draftTime().toNanos();
                        sum[5] += r.metrics().targetTime().toNanos();
                        rounds[s] += r.metrics().rounds();
                        if (s == 0) {
                            reference = r.tokenIds();
                        } else {
                            identical[s] &= r.tokenIds().equals(reference);
                        }
                    }
                }
            }
            List<Row> rows = new ArrayList<>();
            for (int s = 0; s < generators.size(); s++) {
                long[] sum = totals[s];
                rows.add(new Row(names.get(s), sum[0], sum[1], sum[2], sum[3], rounds[s], sum[4], sum[5], identical[s]));
            }
            print(rows, config);
            Path png = chart(rows);
            cli.out.println("chart: " + png.toAbsolutePath());
            boolean allIdentical = rows.stream().allMatch(Row::identical);
            if (temperature == 0 && !allIdentical) {
                cli.err.println("ERROR: a speculative output differs from plain greedy decoding");
                return 1;
            }
            return 0;
        }
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
            double acc = r.drafted() == 0 ? 0 : (double) r.accepted() / r.drafted();
            double perRound = r.rounds() == 0 ? 1 : (double) (r.accepted() + r.rounds()) / r.rounds();
            cli.out.printf(Locale.ROOT, "%-32s %9.1f %10.0f%% %10.2f %9.2f %9.2f %8.2fx %s%n", r.name(),
                    r.tokensPerSecond(), 100 * acc, perRound, r.draftNanos() / 1e9, r.targetNanos() / 1e9,
                    base > 0 ? r.tokensPerSecond() / base : 0,
                    config.isGreedy() ? (r.identical() ? "yes" : "NO") : "");
        }
        cli.out.flush();
    }

    private Path chart(List<Row> rows) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Row r : rows) {
            data.addValue(r.tokensPerSecond(), "tokens/s", r.name());
        }
        JFreeChart chart = ChartFactory.createBarChart("Speculative decoding: " + target + " ("
                + (temperature == 0 ? "greedy" : "T=" + temperature) + ")", "strategy", "tokens/s", data,
                PlotOrientation.VERTICAL, false, false, false);
        return Charts.save(chart, out.resolve("speculative-tokens-per-second.png"));
    }
}
