package dev.billionllm.bench.report;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.bench.mmlu.MmluResult;
import dev.billionllm.bench.mmlu.SubjectScore;
import dev.billionllm.bench.score.PerplexityResult;
import dev.billionllm.bench.speed.Environment;
import dev.billionllm.bench.speed.SpeedResult;
import dev.billionllm.core.BillionException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Markdown, CSV and JSON forms of {@link ModelReport}s. Models marked {@code randomWeights} carry
 * "(random weights)" in every row that names them.
 *
 * <pre>{@code
 * Reports.writeAll(List.of(report), Path.of("bench-out"), "tinyllama");
 * }</pre>
 */
public final class Reports {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private Reports() {}

    /** Writes {@code name.md}, {@code name.csv}, {@code name.json} and the charts into {@code dir}. */
    public static void writeAll(List<ModelReport> reports, Path dir, String name) {
        AtomicFiles.writeString(dir.resolve(name + ".md"), markdown(reports, ""));
        AtomicFiles.writeString(dir.resolve(name + ".csv"), csv(reports));
        AtomicFiles.writeString(dir.resolve(name + ".json"), json(reports));
        Charts.writeAll(reports, dir);
    }

    /** Markdown tables: environment, speed, memory, MMLU (with per-subject scores) and perplexity. */
    public static String markdown(List<ModelReport> reports, String imagePrefix) {
        requireSome(reports);
        StringBuilder md = new StringBuilder();
        for (Environment env : distinctEnvironments(reports)) {
            md.append("**Environment:** ").append(env.cpuLine()).append(", ").append(env.logicalCores())
                    .append(" logical cores; ").append(env.os()).append("; ").append(env.jvm()).append("; DJL ")
                    .append(env.djlVersion()).append(", PyTorch ").append(env.pytorchVersion())
                    .append(", ONNX Runtime ").append(env.onnxRuntimeVersion()).append("; OMP_WAIT_POLICY ")
                    .append(env.ompWaitPolicy()).append(".\n\n");
        }
        if (reports.stream().anyMatch(ModelReport::randomWeights)) {
            md.append("Rows marked \"(random weights)\" were measured on models built with random weights at the "
                    + "real shapes: their speed and memory are representative, their accuracy is not.\n\n");
        }
        if (reports.stream().anyMatch(r -> !r.speed().isEmpty())) {
            md.append("## Speed\n\n");
            md.append("| model | backend | device | threads | test | tokens/s | ± stddev | TTFT ms | p50 ms/token "
                    + "| p90 ms/token | reps |\n");
            md.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
            for (ModelReport r : reports) {
                for (SpeedResult s : r.speed()) {
                    md.append(row(r.label(), r.backend(), r.device(), threads(r.threads()), s.test(),
                            f2(s.tokensPerSecond()), f2(s.tokensPerSecondStddev()), f2(s.timeToFirstTokenMillis()),
                            f2(s.tokenMillisP50()), f2(s.tokenMillisP90()), String.valueOf(s.repetitions())));
                }
            }
            md.append('\n');
            if (!imagePrefix.isEmpty()) {
                md.append("![tokens per second](").append(imagePrefix).append(Charts.TOKENS_PER_SECOND).append(")\n\n");
            }
        }
        md.append("## Memory\n\n");
        md.append("| model | parameters | weights | KV cache (largest test) | peak RSS (VmHWM) | Java heap used "
                + "| load s |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (ModelReport r : reports) {
            md.append(row(r.label(), String.format(Locale.ROOT, "%.3f B", r.parameterCount() / 1e9),
                    bytes(r.weightBytes()), bytes(maxKv(r)), bytes(r.memory().peakRssBytes()),
                    bytes(r.memory().heapUsedBytes()), f2(r.loadSeconds())));
        }
        md.append('\n');
        if (!imagePrefix.isEmpty()) {
            md.append("![memory](").append(imagePrefix).append(Charts.MEMORY).append(")\n\n");
        }
        if (reports.stream().anyMatch(r -> r.mmlu() != null)) {
            md.append("## MMLU\n\nScored as lm-evaluation-harness's default `mmlu` task (log-likelihood of \" A\".."
                    + "\" D\"); micro = all questions weigh the same (the harness's group figure), macro = mean of "
                    + "subject accuracies.\n\n");
            md.append("| model | shots | limit/subject | subjects | questions | micro acc | macro acc |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|\n");
            for (ModelReport r : reports) {
                MmluResult m = r.mmlu();
                if (m != null) {
                    md.append(row(r.label(), String.valueOf(m.numFewshot()), m.limit() == 0 ? "all"
                            : String.valueOf(m.limit()), String.valueOf(m.subjects().size()),
                            String.valueOf(m.total()), f4(m.microAccuracy()), f4(m.macroAccuracy())));
                }
            }
            md.append('\n');
            if (!imagePrefix.isEmpty()) {
                md.append("![MMLU accuracy](").append(imagePrefix).append(Charts.ACCURACY).append(")\n\n");
            }
            for (ModelReport r : reports) {
                if (r.mmlu() != null) {
                    md.append("### ").append(r.label()).append(" per subject\n\n| subject | correct | total | acc |\n"
                            + "|---|---:|---:|---:|\n");
                    for (SubjectScore s : r.mmlu().subjects()) {
                        md.append(row(s.subject(), String.valueOf(s.correct()), String.valueOf(s.total()),
                                f4(s.accuracy())));
                    }
                    md.append('\n');
                }
            }
        }
        if (reports.stream().anyMatch(r -> r.perplexity() != null)) {
            md.append("## Perplexity\n\n| model | perplexity | mean NLL | tokens | window | stride |\n"
                    + "|---|---:|---:|---:|---:|---:|\n");
            for (ModelReport r : reports) {
                PerplexityResult p = r.perplexity();
                if (p != null) {
                    md.append(row(r.label(), f4(p.perplexity()), f4(p.meanNll()), String.valueOf(p.scoredTokens()),
                            String.valueOf(p.window()), String.valueOf(p.stride())));
                }
            }
            md.append('\n');
        }
        return md.toString();
    }

    /**
     * One row per figure: {@code model,random_weights,backend,device,threads,metric,value,unit}. Long
     * format, so that models with different tests share one header.
     */
    public static String csv(List<ModelReport> reports) {
        requireSome(reports);
        StringWriter out = new StringWriter();
        try (CSVPrinter p = new CSVPrinter(out, CSVFormat.RFC4180.builder()
                .setHeader("model", "random_weights", "backend", "device", "threads", "metric", "value", "unit")
                .get())) {
            for (ModelReport r : reports) {
                List<Object[]> rows = new ArrayList<>();
                for (SpeedResult s : r.speed()) {
                    rows.add(new Object[] {s.test() + ".tokens_per_second", s.tokensPerSecond(), "tok/s"});
                    rows.add(new Object[] {s.test() + ".tokens_per_second_stddev", s.tokensPerSecondStddev(), "tok/s"});
                    rows.add(new Object[] {s.test() + ".ttft", s.timeToFirstTokenMillis(), "ms"});
                    rows.add(new Object[] {s.test() + ".token_latency_p50", s.tokenMillisP50(), "ms"});
                    rows.add(new Object[] {s.test() + ".token_latency_p90", s.tokenMillisP90(), "ms"});
                    rows.add(new Object[] {s.test() + ".kv_cache", s.kvCacheBytes(), "bytes"});
                }
                rows.add(new Object[] {"parameters", r.parameterCount(), "count"});
                rows.add(new Object[] {"weights", r.weightBytes(), "bytes"});
                rows.add(new Object[] {"load_time", r.loadSeconds(), "s"});
                rows.add(new Object[] {"peak_rss", r.memory().peakRssBytes(), "bytes"});
                rows.add(new Object[] {"heap_used", r.memory().heapUsedBytes(), "bytes"});
                if (r.mmlu() != null) {
                    String k = "mmlu." + r.mmlu().numFewshot() + "shot";
                    rows.add(new Object[] {k + ".micro_acc", r.mmlu().microAccuracy(), "fraction"});
                    rows.add(new Object[] {k + ".macro_acc", r.mmlu().macroAccuracy(), "fraction"});
                    for (SubjectScore s : r.mmlu().subjects()) {
                        rows.add(new Object[] {k + "." + s.subject() + ".acc", s.accuracy(), "fraction"});
                    }
                }
                if (r.perplexity() != null) {
                    rows.add(new Object[] {"perplexity", r.perplexity().perplexity(), "ppl"});
                }
                for (Object[] row : rows) {
                    p.printRecord(r.model(), r.randomWeights(), r.backend(), r.device(), r.threads(), row[0], row[1],
                            row[2]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** {@code {"reports": [...]}} with every field of each report, plus derived accuracies. */
    public static String json(List<ModelReport> reports) {
        requireSome(reports);
        JsonObject root = new JsonObject();
        JsonArray arr = new JsonArray();
        for (ModelReport r : reports) {
            JsonObject o = GSON.toJsonTree(r).getAsJsonObject();
            o.addProperty("label", r.label());
            if (r.mmlu() != null) {
                JsonObject m = o.getAsJsonObject("mmlu");
                m.addProperty("microAccuracy", r.mmlu().microAccuracy());
                m.addProperty("macroAccuracy", r.mmlu().macroAccuracy());
            }
            arr.add(o);
        }
        root.add("reports", arr);
        return GSON.toJson((JsonElement) root) + "\n";
    }

    /**
     * Reads reports written by {@link #json}; derived fields ({@code label}, accuracies) are
     * recomputed, not read.
     *
     * @throws BillionException naming {@code source} if the text is not such a file
     */
    public static List<ModelReport> readJson(String json, String source) {
        try {
            JsonObject root = JsonParser.parseString(json).getAsJsonObject();
            List<ModelReport> out = new ArrayList<>();
            for (JsonElement e : root.getAsJsonArray("reports")) {
                out.add(GSON.fromJson(e, ModelReport.class));
            }
            return out;
        } catch (RuntimeException e) {
            throw new BillionException(source + " is not a billion-bench JSON report: " + e.getMessage(), e);
        }
    }

    private static void requireSome(List<ModelReport> reports) {
        if (reports.isEmpty()) {
            throw new IllegalArgumentException("no reports to write");
        }
    }

    private static Set<Environment> distinctEnvironments(List<ModelReport> reports) {
        Set<Environment> out = new LinkedHashSet<>();
        reports.forEach(r -> out.add(r.environment()));
        return out;
    }

    static long maxKv(ModelReport r) {
        return r.speed().stream().mapToLong(SpeedResult::kvCacheBytes).max().orElse(-1);
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private static String threads(int t) {
        return t == 0 ? "default" : String.valueOf(t);
    }

    static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String f4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    /** Bytes in MiB or GiB; "n/a" for unknown (negative). */
    static String bytes(long b) {
        if (b < 0) {
            return "n/a";
        }
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
    }
}
