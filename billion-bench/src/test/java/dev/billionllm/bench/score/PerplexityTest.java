package dev.billionllm.bench.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.billionllm.bench.testing.PrefixLM;
import org.junit.jupiter.api.Test;

/**
 * Stride logic on a scripted model whose logit for id 0 equals the number of ids the current
 * window has seen, so each token's NLL tells which window scored it: with every token 0 and vocab
 * V, a token predicted after L window tokens costs f(L) = log(e^L + V - 1) - L.
 */
class PerplexityTest {

    private static final int V = 8;

    private static PrefixLM model() {
        return new PrefixLM(V, 64, prefix -> {
            float[] l = new float[V];
            l[0] = prefix.length;
            return l;
        });
    }

    private static double f(int seen) {
        return Math.log(Math.exp(seen) + V - 1) - seen;
    }

    @Test
    void oneWindowScoresEveryTokenButTheFirst() {
        PerplexityResult r = Perplexity.of(model(), new int[5], 8, 4);
        double mean = (f(1) + f(2) + f(3) + f(4)) / 4;
        assertThat(r.windows()).isEqualTo(1);
        assertThat(r.scoredTokens()).isEqualTo(4);
        assertThat(r.meanNll()).isCloseTo(mean, within(1e-12));
        assertThat(r.perplexity()).isCloseTo(Math.exp(mean), within(1e-12));
    }

    @Test
    void overlappingWindowsScoreOnlyNewTokensWithTheirContext() {
        // window 4, stride 2 over 6 tokens: [0,4) scores 1..3 after 1..3 tokens; [2,6) scores 4 and 5
        // after 2 and 3 tokens of that window (tokens 2.. are context, masked).
        PerplexityResult r = Perplexity.of(model(), new int[6], 4, 2);
        assertThat(r.windows()).isEqualTo(2);
        assertThat(r.scoredTokens()).isEqualTo(5);
        assertThat(r.meanNll()).isCloseTo((f(1) + f(2) + f(3) + f(2) + f(3)) / 5, within(1e-12));
    }

    @Test
    void strideOneSlidesByOneToken() {
        // window 3, stride 1 over 5 tokens: [0,3) scores 1,2; [1,4) scores 3; [2,5) scores 4.
        PrefixLM lm = model();
        PerplexityResult r = Perplexity.of(lm, new int[5], 3, 1);
        assertThat(r.windows()).isEqualTo(3);
        assertThat(r.scoredTokens()).isEqualTo(4);
        assertThat(r.meanNll()).isCloseTo((f(1) + f(2) + f(2) + f(2)) / 4, within(1e-12));
        assertThat(lm.forwardTokens).isEqualTo(9);
    }

    @Test
    void disjointWindowsCannotScoreEachWindowsFirstToken() {
        // stride == window: as in the recipe, the first token of a later window has no context in it.
        PerplexityResult r = Perplexity.of(model(), new int[6], 4, 4);
        assertThat(r.windows()).isEqualTo(2);
        assertThat(r.scoredTokens()).isEqualTo(4);
        assertThat(r.meanNll()).isCloseTo((f(1) + f(2) + f(3) + f(1)) / 4, within(1e-12));
    }

    @Test
    void rejectsBadWindowAndStride() {
        assertThatThrownBy(() -> Perplexity.of(model(), new int[6], 4, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stride");
        assertThatThrownBy(() -> Perplexity.of(model(), new int[6], 1, 1)).hasMessageContaining("window");
        assertThatThrownBy(() -> Perplexity.of(model(), new int[1], 4, 2)).hasMessageContaining("at least 2 tokens");
    }
}
