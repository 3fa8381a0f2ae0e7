package dev.billionllm.core.testing;

import dev.billionllm.core.platform.ProcessMemory;
import java.util.Arrays;

/**
 * The lowest resident memory outside the Java heap in each of several equal windows of steps, for tests that a
 * long run leaks nothing native.
 *
 * <p>RSS is noisy: the native allocator and the JIT keep and return megabytes in bursts, at times for hundreds of
 * steps after a warm-up, so one window against the next is not a reliable signal (a single +9 MB burst failed CI).
 * A leak, though, adds the same amount in every window. {@link #smallestGrowthKb()} is therefore the smallest
 * window-to-window growth: a steady leak of {@code n} kB per step keeps it at {@code n * window} or more, while a
 * burst raises only some windows.
 */
public final class ResidentMemoryTrend {

    private final int window;
    private final long[] lowest;

    public ResidentMemoryTrend(int windows, int window) {
        if (windows < 2 || window < 1) {
            throw new IllegalArgumentException("need at least two windows of at least one step");
        }
        this.window = window;
        this.lowest = new long[windows];
        Arrays.fill(lowest, Long.MAX_VALUE);
    }

    /** Number of steps covered by all windows. */
    public int steps() {
        return window * lowest.length;
    }

    /** Samples RSS minus the committed heap, after a GC so that the heap holds only live objects. */
    public void sample(int step) {
        if (step < 0 || step >= steps()) {
            throw new IllegalArgumentException("step " + step + " is outside 0.." + (steps() - 1));
        }
        System.gc();
        long outsideHeap = ProcessMemory.rssKb() - Runtime.getRuntime().totalMemory() / 1024;
        int w = step / window;
        lowest[w] = Math.min(lowest[w], outsideHeap);
    }

    /** The smallest growth, in kB, of one window's lowest sample over the previous window's. */
    public long smallestGrowthKb() {
        long smallest = Long.MAX_VALUE;
        for (int w = 1; w < lowest.length; w++) {
            if (lowest[w] == Long.MAX_VALUE || lowest[w - 1] == Long.MAX_VALUE) {
                throw new IllegalStateException("window " + (lowest[w] == Long.MAX_VALUE ? w : w - 1)
                        + " has no sample");
            }
            smallest = Math.min(smallest, lowest[w] - lowest[w - 1]);
        }
        return smallest;
    }

    @Override
    public String toString() {
        return "lowest RSS outside the Java heap per " + window + "-step window " + Arrays.toString(lowest) + " kB";
    }
}
