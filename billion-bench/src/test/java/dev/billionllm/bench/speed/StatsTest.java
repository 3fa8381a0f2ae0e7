package dev.billionllm.bench.speed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void meanAndSampleStddev() {
        double[] xs = {2, 4, 4, 4, 5, 5, 7, 9};
        assertThat(Stats.mean(xs)).isEqualTo(5);
        assertThat(Stats.stddev(xs)).isCloseTo(Math.sqrt(32.0 / 7), within(1e-12));
        assertThat(Stats.stddev(new double[] {3})).isZero();
    }

    @Test
    void percentilesInterpolateLikeNumpy() {
        double[] xs = {4, 1, 3, 2};
        assertThat(Stats.percentile(xs, 50)).isCloseTo(2.5, within(1e-12)); // numpy.percentile -> 2.5
        assertThat(Stats.percentile(xs, 90)).isCloseTo(3.7, within(1e-12)); // numpy.percentile -> 3.7
        assertThat(Stats.percentile(xs, 0)).isEqualTo(1);
        assertThat(Stats.percentile(xs, 100)).isEqualTo(4);
        assertThatThrownBy(() -> Stats.percentile(new double[0], 50)).hasMessageContaining("no measurements");
    }
}
