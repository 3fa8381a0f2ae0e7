package dev.billionllm.bench.report;

import dev.billionllm.bench.speed.SpeedResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
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
    private static final int HEIGHT = 600;

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

    /**
     * Mean tokens/s per model, prefill tests (pp*) and decode tests (tg*) in two panels with their
     * own axes: on one axis every decode bar was a sliver next to prefill's 10-50x larger rates.
     */
    public static JFreeChart tokensPerSecond(List<ModelReport> reports) {
        DefaultCategoryDataset prefill = new DefaultCategoryDataset();
        DefaultCategoryDataset decode = new DefaultCategoryDataset();
        for (ModelReport r : reports) {
            for (SpeedResult s : r.speed()) {
                (s.test().startsWith("tg") ? decode : prefill).addValue(s.tokensPerSecond(), s.test(),
                        r.label() + " [" + r.backend() + "]");
            }
        }
        return panels("Speed (higher is better)", List.of(prefill, decode),
                List.of("prefill tokens/s", "decode tokens/s"), null);
    }

    /**
     * Prefill and decode tokens/s per row ({@code {prefill, decode}}, e.g. our exports and
     * llama.cpp's quantisations), in two panels.
     */
    public static JFreeChart speedPanels(String title, Map<String, double[]> rows) {
        DefaultCategoryDataset prefill = new DefaultCategoryDataset();
        DefaultCategoryDataset decode = new DefaultCategoryDataset();
        rows.forEach((row, v) -> {
            prefill.addValue(v[0], "prefill", row);
            decode.addValue(v[1], "decode", row);
        });
        return panels(title, List.of(prefill, decode), List.of("prefill tokens/s", "decode tokens/s"), null);
    }

    /**
     * Each of our rows divided by a reference's rate, prefill and decode in two panels, with the
     * line at 1 (as fast as the reference) and, when given, the target ratios as lines too.
     *
     * @param ratios row to {@code {prefill ratio, decode ratio}}
     * @param axisLabels the two panels' axis labels, naming the reference of each
     * @param targets {@code {prefill target, decode target}}, or null
     */
    public static JFreeChart ratios(String title, Map<String, double[]> ratios, List<String> axisLabels,
            double[] targets) {
        DefaultCategoryDataset prefill = new DefaultCategoryDataset();
        DefaultCategoryDataset decode = new DefaultCategoryDataset();
        ratios.forEach((row, v) -> {
            prefill.addValue(v[0], "prefill ratio", row);
            decode.addValue(v[1], "decode ratio", row);
        });
        return panels(title, List.of(prefill, decode), axisLabels, targets);
    }

    /** Stacked bar panels sharing the category axis, each with its own value axis. */
    private static JFreeChart panels(String title, List<DefaultCategoryDataset> data, List<String> axisLabels,
            double[] targets) {
        CategoryAxis categories = new CategoryAxis();
        categories.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(categories);
        plot.setGap(12);
        for (int i = 0; i < data.size(); i++) {
            BarRenderer bars = new BarRenderer();
            bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}",
                    new java.text.DecimalFormat(targets != null ? "0.00x" : "0.#")));
            bars.setDefaultItemLabelsVisible(true);
            bars.setItemMargin(0.02);
            NumberAxis values = new NumberAxis(axisLabels.get(i));
            values.setUpperMargin(0.12); // room for the value labels above the tallest bar
            CategoryPlot panel = new CategoryPlot(data.get(i), null, values, bars);
            if (targets != null) {
                panel.addRangeMarker(new ValueMarker(1.0));
                ValueMarker target = new ValueMarker(targets[i], java.awt.Color.RED, new java.awt.BasicStroke(1.5f));
                target.setLabel("target " + targets[i] + "x");
                target.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_LEFT);
                target.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_LEFT);
                panel.addRangeMarker(target);
                ((NumberAxis) panel.getRangeAxis()).setUpperBound(Math.max(targets[i] * 1.2,
                        maxValue(data.get(i)) * 1.15));
            }
            plot.add(panel, 1);
        }
        return new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    }

    private static double maxValue(DefaultCategoryDataset d) {
        double max = 0;
        for (int r = 0; r < d.getRowCount(); r++) {
            for (int c = 0; c < d.getColumnCount(); c++) {
                Number n = d.getValue(r, c);
                if (n != null) {
                    max = Math.max(max, n.doubleValue());
                }
            }
        }
        return max;
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
