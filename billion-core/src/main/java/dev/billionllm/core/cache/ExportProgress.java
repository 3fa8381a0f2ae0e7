package dev.billionllm.core.cache;

import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.ForwardingTensorSource;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.util.Set;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar over the checkpoint bytes the exporter has read. The exporter reads each tensor
 * once, just before quantising and writing it, so bytes read track the export closely without a
 * hook inside the exporter.
 */
final class ExportProgress implements AutoCloseable {
    private final ProgressBar bar;

    private ExportProgress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar on {@code out} sized to every tensor of {@code weights}; a no-op when out is null. */
    static ExportProgress start(PrintWriter out, TensorSource weights, String task) {
        if (out == null) {
            return new ExportProgress(null);
        }
        long total = 0;
        for (String name : weights.names()) {
            TensorInfo info = weights.info(name);
            total += info.end() - info.begin();
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task.length() > 40 ? task.substring(0, 37) + "..." : task)
                .setInitialMax(Math.max(1, total >> 20))
                .setUnit("MiB", 1)
                .showSpeed()
                // no ANSI colours: the bar often goes to a log or a captured stream
                .setStyle(ProgressBarStyle.UNICODE_BLOCK)
                .setUpdateIntervalMillis(250)
                .setConsumer(new WriterConsumer(out))
                .build();
        return new ExportProgress(bar);
    }

    /** {@code weights}, advancing the bar by each tensor's stored bytes as the exporter reads it. */
    TensorSource counting(TensorSource weights) {
        return bar == null ? weights : new Counting(weights);
    }

    @Override
    public void close() {
        if (bar != null) {
            // Tensors the graph does not use (e.g. rotary caches) are never read: end at 100%.
            bar.stepTo(bar.getMax());
            bar.close();
        }
    }

    /** Draws on a PrintWriter (the CLI's err stream, which tests capture) instead of System.err. */
    private static final class WriterConsumer implements ProgressBarConsumer {
        private final PrintWriter out;

        WriterConsumer(PrintWriter out) {
            this.out = out;
        }

        @Override
        public int getMaxRenderedLength() {
            return 100;
        }

        @Override
        public void accept(String rendered) {
            out.print('\r');
            out.print(rendered);
            out.flush();
        }

        @Override
        public void close() {
            out.println();
            out.flush();
        }
    }

    private final class Counting extends ForwardingTensorSource {
        private long bytes;

        Counting(TensorSource inner) {
            super(inner, false); // the caller closes the wrapped source
        }

        private void advance(String name) {
            TensorInfo info = delegate().info(name);
            bytes += info.end() - info.begin();
            bar.stepTo(Math.min(bar.getMax(), bytes >> 20));
        }

        @Override
        public float[] floats(String name) {
            float[] values = super.floats(name);
            advance(name);
            return values;
        }

        @Override
        public void readFloats(String name, FloatBuffer dst) {
            delegate().readFloats(name, dst);
            advance(name);
        }
    }
}
