package dev.billionllm.bench.speed;

import java.util.List;

/**
 * Which speed tests to run and how often.
 *
 * @param promptLengths one {@code ppN} test per entry: an N-token prompt in one forward pass
 * @param generationLengths one {@code tgN} test per entry: N single-token decode steps from an empty cache
 * @param repetitions timed runs per test (llama-bench's {@code -r}, default 5)
 * @param warmup untimed runs before the timed ones (JIT, allocator and kernel caches)
 * @param seed seed of the random prompt ids
 */
public record SpeedConfig(List<Integer> promptLengths, List<Integer> generationLengths, int repetitions, int warmup,
        long seed) {

    public SpeedConfig {
        promptLengths = List.copyOf(promptLengths);
        generationLengths = List.copyOf(generationLengths);
        for (int n : promptLengths) {
            require(n >= 1, "prompt lengths must be >= 1, got " + n);
        }
        for (int n : generationLengths) {
            require(n >= 1, "generation lengths must be >= 1, got " + n);
        }
        require(repetitions >= 1, "repetitions must be >= 1, got " + repetitions);
        require(warmup >= 0, "warmup must be >= 0, got " + warmup);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** llama-bench's defaults: pp512 and tg128, 5 repetitions, here with 1 warm-up run. */
    public static SpeedConfig defaults() {
        return new SpeedConfig(List.of(512), List.of(128), 5, 1, 42);
    }

    /** pp128 and tg128, as the closing table reports them. */
    public static SpeedConfig pp128tg128(int repetitions) {
        return new SpeedConfig(List.of(128), List.of(128), repetitions, 1, 42);
    }
}
