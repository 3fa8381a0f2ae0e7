package dev.billionllm.bench.report;

import dev.billionllm.bench.speed.SpeedResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * PNG bar charts of {@link ModelReport}s, drawn headless with JFreeChart. Models with random
 * weights are labelled so in every chart.
 */
public final class Charts {

    /** File name of the tokens/s chart. */
    public static final String TOKENS_PER_SECOND = "tokens-per-second.png";
    /** File name of the memory chart. */
    public static final String MEMORY = "memory.png";
    /** File name of the MMLU accuracy chart. */
    public static final String ACCURACY = "mmlu-accuracy.png";

    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;

    private Charts() {}

    /**
     * Writes every chart that has data into {@code dir} and returns their paths: tokens/s when a
     * report has speed tests, memory always, accuracy when a report has MMLU scores.
     */
    public static List<Path> writeAll(List<ModelReport> reports, Path dir) {
        // No display is needed (or available on servers) to draw into an image.
        System.setProperty("java.awt.headless", "true");
        List<Path> out = new ArrayList<>();
        if (reports.stream().anyMatch(r -> !r.speed().isEmpty())) {
            out.add(save(tokensPerSecond(reports), dir.resolve(TOKENS_PER_SECOND)));
        }
        out.add(save(memory(reports), dir.resolve(MEMORY)));
        if (reports.stream().anyMatch(r -> r.mmlu() != null)) {
            out.add(save(accuracy(reports), dir.resolve(ACCURACY)));
        }
        return out;
    }

    /** Mean tokens/s per test (pp, tg) and model. */
    public static JFreeChart tokensPerSecond(List<ModelReport> reports) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (ModelReport r : reports) {
            for (SpeedResult s : r.speed()) {
                d.addValue(s.tokensPerSecond(), s.test(), r.label() + " [" + r.backend() + "]");
            }
        }
        return ChartFactory.createBarChart("Speed (higher is better)", "model", "tokens/s", d,
                PlotOrientation.VERTICAL, true, false, false);
    }

    /** Peak RSS, weights and KV cache, in MiB, per model. */
    public static JFreeChart memory(List<ModelReport> reports) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (ModelReport r : reports) {
            String key = r.label() + " [" + r.backend() + "]";
            d.addValue(mib(r.memory().peakRssBytes()), "peak RSS", key);
            d.addValue(mib(r.weightBytes()), "weights", key);
            d.addValue(mib(Reports.maxKv(r)), "KV cache", key);
        }
        return ChartFactory.createBarChart("Memory (lower is better)", "model", "MiB", d, PlotOrientation.VERTICAL,
                true, false, false);
    }

    /** MMLU micro and macro accuracy per model. */
    public static JFreeChart accuracy(List<ModelReport> reports) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (ModelReport r : reports) {
            if (r.mmlu() != null) {
                String key = r.label() + " (" + r.mmlu().numFewshot() + "-shot)";
                d.addValue(r.mmlu().microAccuracy(), "micro", key);
                d.addValue(r.mmlu().macroAccuracy(), "macro", key);
            }
        }
        JFreeChart chart = ChartFactory.createBarChart("MMLU accuracy (chance = 0.25)", "model", "accuracy", d,
                PlotOrientation.VERTICAL, true, false, false);
        chart.getCategoryPlot().getRangeAxis().setRange(0, 1);
        return chart;
    }

    /** Encodes {@code chart} as PNG and writes it atomically. */
    public static Path save(JFreeChart chart, Path file) {
        // Long labels such as "stablelm-2-1.6b (random weights) [pytorch]" wrap instead of being cut.
        chart.getCategoryPlot().getDomainAxis().setMaximumCategoryLabelLines(3);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(png, chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode chart " + file, e);
        }
        AtomicFiles.write(file, png.toByteArray());
        return file;
    }

    private static double mib(long bytes) {
        return bytes < 0 ? 0 : bytes / (double) (1L << 20);
    }
}
