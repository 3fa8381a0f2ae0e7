package dev.billionllm.bench.speed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.billionllm.bench.testing.PrefixLM;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drives the bench with scripted clocks, so every figure is known. */
class SpeedBenchTest {

    private static final int V = 32;

    @Test
    void promptAndGenerationFiguresFollowFromTheTimings() {
        PrefixLM lm = new PrefixLM(V, 4096, prefix -> {
            float[] l = new float[V];
            l[(prefix[prefix.length - 1] * 3 + 1) % V] = 1; // greedy successor: 3x + 1 mod V
            return l;
        });
        // The clock advances 1 ms per token the model has processed.
        SpeedBench bench = new SpeedBench(lm, new SpeedConfig(List.of(8), List.of(4), 3, 1, 7),
                () -> lm.forwardTokens * 1_000_000L);
        List<SpeedResult> results = bench.run();
        assertThat(results).extracting(SpeedResult::test).containsExactly("pp8", "tg4");

        SpeedResult pp = results.get(0);
        assertThat(pp.tokens()).isEqualTo(8);
        assertThat(pp.repetitions()).isEqualTo(3);
        assertThat(pp.millisMean()).isCloseTo(8, within(1e-9));
        assertThat(pp.tokensPerSecond()).isCloseTo(1000, within(1e-6));
        assertThat(pp.tokensPerSecondStddev()).isCloseTo(0, within(1e-9));
        assertThat(pp.timeToFirstTokenMillis()).isCloseTo(8, within(1e-9));
        assertThat(pp.tokenMillisP50()).isCloseTo(1, within(1e-9));
        assertThat(pp.kvCacheBytes()).isEqualTo(4 * 8); // PrefixLM: 4 bytes per position of capacity

        SpeedResult tg = results.get(1);
        assertThat(tg.tokens()).isEqualTo(4);
        assertThat(tg.tokensPerSecond()).isCloseTo(1000, within(1e-6));
        assertThat(tg.tokenMillisP90()).isCloseTo(1, within(1e-9));
        assertThat(tg.kvCacheBytes()).isEqualTo(4 * 4);
        // (1 warm-up + 3 timed) prefills of 8, then (1 + 3) runs of 4 single-token steps.
        assertThat(lm.forwardCalls).isEqualTo(4 + 4 * 4);
        assertThat(lm.forwardTokens).isEqualTo(4 * 8 + 4 * 4);
    }

    @Test
    void generationFeedsTheGreedyTokenAndTimesEachStep() {
        List<int[]> seen = new ArrayList<>();
        PrefixLM lm = new PrefixLM(V, 4096, prefix -> {
            seen.add(prefix.clone());
            float[] l = new float[V];
            l[(prefix[prefix.length - 1] * 3 + 1) % V] = 1;
            return l;
        });
        long[] now = {0};
        int[] calls = {0};
        // Steps of one run take 1, 1, 1, 5 ms: reads alternate start/end of each step.
        SpeedBench bench = new SpeedBench(lm, new SpeedConfig(List.of(), List.of(4), 2, 0, 7), () -> {
            int step = (calls[0] / 2) % 4;
            if (calls[0]++ % 2 == 1) {
                now[0] += step == 3 ? 5_000_000L : 1_000_000L;
            }
            return now[0];
        });
        SpeedResult tg = bench.tokenGeneration(4);
        assertThat(tg.millisMean()).isCloseTo(8, within(1e-9));
        assertThat(tg.tokensPerSecond()).isCloseTo(500, within(1e-6));
        assertThat(tg.timeToFirstTokenMillis()).isCloseTo(1, within(1e-9));
        assertThat(tg.tokenMillisP50()).isCloseTo(1, within(1e-9));
        // 8 steps, sorted 1,1,1,1,1,1,5,5: p90 rank 6.3 lies between the two 5 ms steps.
        assertThat(tg.tokenMillisP90()).isCloseTo(5, within(1e-9));
        assertThat(tg.tokensPerSecondStddev()).isZero();
        int[] last = seen.get(seen.size() - 1);
        assertThat(last).hasSize(4);
        for (int i = 1; i < last.length; i++) {
            assertThat(last[i]).isEqualTo((last[i - 1] * 3 + 1) % V);
        }
    }
}
