package dev.billionllm.examples.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The accepted range of every numeric option, checked once after parsing and before any command
 * runs, so a command never sees a value that would hang it or size memory from it ({@code --threads
 * 100000} used to start 100,000 native threads and hang, ignoring SIGTERM). Kept in one table
 * rather than in each command so that every command, present and future, gets the same checks.
 */
final class NumericOptions {

    private NumericOptions() {}

    record Range(long min, long max, String why) {}

    static int maxThreads() {
        return dev.billionllm.core.backend.LoadOptions.maxThreads();
    }

    /** Ranges by option name (the longest name of each option). */
    static Map<String, Range> ranges() {
        int procs = Runtime.getRuntime().availableProcessors();
        return Map.ofEntries(
                Map.entry("--threads", new Range(0, maxThreads(),
                        dev.billionllm.core.backend.LoadOptions.THREADS_PER_PROCESSOR + " x " + procs + " available processors; 0 = engine default")),
                Map.entry("--max-new-tokens", new Range(1, Integer.MAX_VALUE, "generation also stops at the context")),
                Map.entry("--top-k", new Range(0, Integer.MAX_VALUE, "0 = off")),
                Map.entry("--width", new Range(20, 10_000, "terminal columns")),
                Map.entry("--block-size", new Range(16, 4096, "INT4 block size")),
                Map.entry("--accuracy-level", new Range(0, 4, "MatMulNBits accuracy_level")),
                Map.entry("--shots", new Range(0, 64, "few-shot examples")),
                Map.entry("--limit", new Range(0, Integer.MAX_VALUE, "0 = all")),
                Map.entry("--window", new Range(2, 1 << 24, "tokens per window")),
                Map.entry("--stride", new Range(1, 1 << 24, "window step")),
                Map.entry("--reps", new Range(1, 100_000, "timed repetitions")),
                Map.entry("--warmup", new Range(0, 100_000, "untimed runs")),
                Map.entry("--prompt-ids", new Range(0, Integer.MAX_VALUE, "token ids")));
    }

    /** Real-valued options: [min, max], NaN never accepted. */
    static Map<String, double[]> realRanges() {
        return Map.of("--temperature", new double[] {0, 1000}, "--top-p", new double[] {Double.MIN_VALUE, 1},
                "--min-p", new double[] {0, 1}, "--repetition-penalty", new double[] {Double.MIN_VALUE, 1000});
    }

    /**
     * Checks the matched numeric options of {@code parsed} and its subcommands.
     *
     * @throws IllegalArgumentException naming the option, the value and the accepted range
     */
    static void check(ParseResult parsed) {
        Map<String, Range> ranges = ranges();
        Map<String, double[]> reals = realRanges();
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            for (OptionSpec o : p.matchedOptions()) {
                String name = o.longestName();
                Object value = o.getValue();
                Range r = ranges.get(name);
                if (r != null) {
                    for (long v : integers(value)) {
                        if (v < r.min() || v > r.max()) {
                            throw new IllegalArgumentException(name + " " + v + " is outside the accepted range ["
                                    + r.min() + ", " + r.max() + "] (" + r.why() + ")");
                        }
                    }
                }
                double[] real = reals.get(name);
                if (real != null && value instanceof Number n) {
                    double v = n.doubleValue();
                    if (!(v >= real[0] && v <= real[1])) {
                        throw new IllegalArgumentException(name + " " + v + " is outside the accepted range "
                                + (real[0] == Double.MIN_VALUE ? "(0" : "[" + real[0]) + ", " + real[1] + "]");
                    }
                }
            }
        }
    }

    private static long[] integers(Object value) {
        if (value instanceof int[] a) {
            return java.util.Arrays.stream(a).asLongStream().toArray();
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            return new long[] {((Number) value).longValue()};
        }
        return new long[0];
    }

    /** An execution strategy that checks the ranges, then runs the last command as picocli does. */
    static CommandLine.IExecutionStrategy checkingThen(CommandLine.IExecutionStrategy next) {
        return parsed -> {
            try {
                check(parsed);
            } catch (IllegalArgumentException e) {
                // picocli hands the cause of an ExecutionException to the execution exception handler.
                throw new CommandLine.ExecutionException(parsed.commandSpec().commandLine(), e.getMessage(), e);
            }
            return next.execute(parsed);
        };
    }
}
