package dev.billionllm.bench.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.billionllm.bench.testing.PrefixLM;
import dev.billionllm.bench.testing.WordTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogLikelihoodTest {

    private static final int V = 16;

    /** Logit 2 for id (last + 1) mod V, 0 elsewhere. */
    private static PrefixLM successorModel(int maxPositions) {
        return new PrefixLM(V, maxPositions, prefix -> {
            float[] l = new float[V];
            l[(prefix[prefix.length - 1] + 1) % V] = 2;
            return l;
        });
    }

    private static final double HIT = 2 - Math.log(Math.exp(2) + V - 1);
    private static final double MISS = -Math.log(Math.exp(2) + V - 1);

    @Test
    void sumsContinuationLogProbsAndReportsGreedy() {
        LogLikelihood ll = new LogLikelihood(successorModel(64));
        ContinuationScore s = ll.score(new EncodedPair(new int[] {3, 4}, new int[] {5, 6, 9}));
        assertThat(s.logLikelihood()).isCloseTo(HIT + HIT + MISS, within(1e-12));
        assertThat(s.greedy()).isFalse();
        assertThat(s.tokens()).isEqualTo(3);
        assertThat(ll.score(new EncodedPair(new int[] {3}, new int[] {4, 5})).greedy()).isTrue();
    }

    @Test
    void sharedContextScoringEqualsSeparateScoring() {
        PrefixLM lm = successorModel(64);
        LogLikelihood ll = new LogLikelihood(lm);
        int[] ctx = {1, 2, 3};
        List<int[]> conts = List.of(new int[] {4}, new int[] {7}, new int[] {4, 5, 6}, new int[] {4, 0});
        List<ContinuationScore> shared = ll.scoreChoices(ctx, conts);
        for (int i = 0; i < conts.size(); i++) {
            ContinuationScore alone = ll.score(new EncodedPair(ctx, conts.get(i)));
            assertThat(shared.get(i).logLikelihood()).isCloseTo(alone.logLikelihood(), within(1e-12));
            assertThat(shared.get(i).greedy()).isEqualTo(alone.greedy());
        }
        assertThat(shared.get(0).logLikelihood()).isCloseTo(HIT, within(1e-12));
        assertThat(shared.get(1).logLikelihood()).isCloseTo(MISS, within(1e-12));
    }

    @Test
    void truncatesOnTheLeftLikeTheHarness() {
        // max_length 4: of ctx+cont = 7 tokens the last 5 are kept and the last 4 of those fed.
        PrefixLM lm = new PrefixLM(V, 4, prefix -> {
            float[] l = new float[V];
            l[prefix.length] = 2; // rewards the id equal to the number of ids fed
            return l;
        });
        LogLikelihood ll = new LogLikelihood(lm, 4);
        // fed: [c, d, e, x]; x follows 3 fed ids, y follows 4.
        ContinuationScore s = ll.score(new EncodedPair(new int[] {9, 9, 9, 9, 9}, new int[] {3, 4}));
        assertThat(s.logLikelihood()).isCloseTo(2 * HIT, within(1e-12));
        List<ContinuationScore> viaChoices = ll.scoreChoices(new int[] {9, 9, 9, 9, 9}, List.of(new int[] {3, 4}));
        assertThat(viaChoices.get(0).logLikelihood()).isCloseTo(2 * HIT, within(1e-12));
    }

    @Test
    void encodePairMovesTrailingWhitespaceAndSplitsTheWholeEncoding() {
        WordTokenizer tok = new WordTokenizer();
        EncodedPair p = LogLikelihood.encodePair(tok, "Question?\nAnswer: ", "B", true);
        assertThat(p.context()).containsExactly(1, tok.id("Question?"), tok.id("\nAnswer:"));
        assertThat(p.continuation()).containsExactly(tok.id(" B"));
        EncodedPair plain = LogLikelihood.encodePair(tok, "Answer:", " C", false);
        assertThat(plain.context()).containsExactly(tok.id("Answer:"));
        assertThat(plain.continuation()).containsExactly(tok.id(" C"));
        EncodedPair empty = LogLikelihood.encodePair(tok, "", "hello", true);
        assertThat(empty.context()).containsExactly(1);
        assertThat(empty.continuation()).containsExactly(tok.id("hello"));
    }
}
