package dev.billionllm.bench.report;

import dev.billionllm.bench.speed.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Charts of {@code scripts/llamacpp-compare.sh}'s {@code results.tsv}: every row's median prefill
 * and decode tokens/s in two panels, and our rows as ratios to llama.cpp (decode against Q4_0,
 * prefill against Q8_0, the targets of 1.5x and 2x drawn in).
 *
 * <pre>
 * java -cp $CP dev.billionllm.bench.report.LlamaCppCharts /tmp/llamacpp-compare/results.tsv docs/comparison avx512-vnni
 * </pre>
 * writes {@code llamacpp-speed-avx512-vnni.png} and {@code llamacpp-ratios-avx512-vnni.png}.
 */
public final class LlamaCppCharts {
    /** The reference of the decode ratio. */
    static final String DECODE_REFERENCE = "llama.cpp-Q4_0";
    /** The reference of the prefill ratio. */
    static final String PREFILL_REFERENCE = "llama.cpp-Q8_0";

    private LlamaCppCharts() {}

    public static void main(String[] args) throws IOException {
        Path results = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        String suffix = args.length > 2 ? "-" + args[2] : "";
        for (Path p : write(Files.readAllLines(results), dir, suffix)) {
            System.out.println(p);
        }
    }

    /** Writes both charts for the result lines into {@code dir}; returns their paths. */
    static List<Path> write(List<String> lines, Path dir, String suffix) {
        System.setProperty("java.awt.headless", "true");
        Map<String, double[]> medians = medians(lines);
        List<Path> out = new ArrayList<>();
        out.add(Charts.save(Charts.speedPanels("Prefill (pp128) and decode (tg128), medians (higher is better)",
                medians), dir.resolve("llamacpp-speed" + suffix + ".png")));
        double[] decodeRef = medians.get(DECODE_REFERENCE);
        double[] prefillRef = medians.get(PREFILL_REFERENCE);
        if (decodeRef != null && prefillRef != null) {
            Map<String, double[]> ratios = new LinkedHashMap<>();
            medians.forEach((row, v) -> {
                if (!row.startsWith("llama.cpp")) {
                    ratios.put(row, new double[] {v[0] / prefillRef[0], v[1] / decodeRef[1]});
                }
            });
            out.add(Charts.save(Charts.ratios("Ours / llama.cpp (higher is better; 1 = as fast)", ratios,
                    List.of("prefill / " + PREFILL_REFERENCE, "decode / " + DECODE_REFERENCE), new double[] {2.0, 1.5}),
                    dir.resolve("llamacpp-ratios" + suffix + ".png")));
        }
        return out;
    }

    /** Row to {@code {median prefill, median decode}}, rows in first-seen order. */
    static Map<String, double[]> medians(List<String> lines) {
        Map<String, List<double[]>> byRow = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.split("\t");
            if (line.startsWith("#") || f.length < 4 || f[0].equals("round") || f[2].isEmpty() || f[3].isEmpty()) {
                continue;
            }
            byRow.computeIfAbsent(f[1], k -> new ArrayList<>())
                    .add(new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])});
        }
        Map<String, double[]> medians = new LinkedHashMap<>();
        byRow.forEach((row, runs) -> medians.put(row, new double[] {median(runs, 0), median(runs, 1)}));
        return medians;
    }

    private static double median(List<double[]> runs, int column) {
        return Stats.percentile(runs.stream().mapToDouble(r -> r[column]).toArray(), 50);
    }
}
