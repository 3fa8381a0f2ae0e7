package dev.billionllm.finetune;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The loss curve PNG: training loss per step and held-out loss where measured. */
final class LossChart {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 500;

    private LossChart() {}

    static byte[] png(List<FineTuner.LogEntry> log, List<double[]> evals) {
        // Rendering needs no display; without this a server JVM with no X11 fails to draw.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        XYSeries train = new XYSeries("train loss");
        for (FineTuner.LogEntry e : log) {
            train.add(e.step(), e.loss());
        }
        XYSeries eval = new XYSeries("held-out loss");
        for (double[] e : evals) {
            eval.add(e[0], e[1]);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(train);
        data.addSeries(eval);
        JFreeChart chart = ChartFactory.createXYLineChart("LoRA fine-tuning", "optimizer step",
                "mean token cross-entropy", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        renderer.setSeriesShapesVisible(1, true);
        plot.setRenderer(renderer);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(png, chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the loss chart", e);
        }
        return png.toByteArray();
    }
}
