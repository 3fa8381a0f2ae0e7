package dev.billionllm.speculative;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.generate.DecodingStrategy;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.generate.Samplers;
import dev.billionllm.core.testing.ScriptedLM;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Speculative sampling keeps the target's distribution exactly. The target and the draft are
 * Markov chains over 6 usable ids (the logits are 8 wide; the draft puts its largest logit on the
 * padded id 7, which must never be proposed). The draft is far from the target on purpose, so that
 * the draft's choices matter: the exact marginal of each of the first three tokens is computed from
 * the target's transition matrix and compared with 20,000 seeded generations of three tokens.
 *
 * <p>Why the bound (total variation 0.02 per position; the sampling noise of 20,000 draws over 6
 * outcomes is about 0.006) catches the classic bugs:
 * <ul>
 *   <li>an off-by-one in the acceptance rule (judging candidate i by the target's p at position
 *       i + 1, or accepting with p/q of the previous candidate) mixes in the wrong row of the
 *       transition matrix, which moves the second token's marginal by more than 0.1 here;
 *   <li>a rejection that resamples from p instead of norm(max(0, p - q)) over-weights the tokens
 *       the draft likes (the draft's favourites get probability from both the acceptance and the
 *       resample), a shift above 0.05 here;
 *   <li>a missing bonus token or one drawn from q or from the residual: with two candidates per
 *       round and three tokens, the third token is the bonus whenever both were accepted; drawing it
 *       from anything but the target's p changes the third marginal by more than 0.05, and a missing
 *       one makes generations end early or shift positions (also caught: every run must give 3).
 * </ul>
 * Two of these mutants were run against this test and failed it: resampling from p on rejection
 * (token 1 off) and drawing the bonus from the residual instead of p (token 3 off).
 * The counts are deterministic (seeded, pure Java), so the test gives the same result on every CPU.
 */
class SamplingDistributionTest {
    static final int VOCAB = 8;
    static final int USABLE = 6;
    static final int DRAWS = 20_000;
    static final int PROMPT_LAST = 3;

    static float[] targetLogits(int last) {
        float[] l = new float[VOCAB];
        for (int j = 0; j < VOCAB; j++) {
            l[j] = ((j * 3 + last * 5) % 7) * 0.6f;
        }
        return l;
    }

    static float[] draftLogits(int last) {
        float[] l = new float[VOCAB];
        for (int j = 0; j < VOCAB; j++) {
            l[j] = ((j * 2 + last) % 5) * 0.8f;
        }
        l[7] = 9f; // a padded id: ids past the usable vocabulary are never proposed
        return l;
    }

    static ScriptedLM chain(java.util.function.IntFunction<float[]> logits) {
        return ScriptedLM.builder().optVocabSize(VOCAB).optUsableVocabSize(USABLE)
                .setLogits(ids -> logits.apply(ids[ids.length - 1])).build();
    }

    /** P(next = j | last = i) of the target after the sampler's processors (padded ids masked). */
    static double[][] transitions() {
        double[][] t = new double[VOCAB][];
        for (int i = 0; i < VOCAB; i++) {
            float[] l = targetLogits(i);
            for (int j = USABLE; j < VOCAB; j++) {
                l[j] = Float.NEGATIVE_INFINITY;
            }
            t[i] = Samplers.softmax(l);
        }
        return t;
    }

    /** Exact marginals of the first three tokens. */
    static double[][] exactMarginals() {
        double[][] t = transitions();
        double[][] m = new double[3][VOCAB];
        double[] state = new double[VOCAB];
        state[PROMPT_LAST] = 1;
        for (int pos = 0; pos < 3; pos++) {
            for (int i = 0; i < VOCAB; i++) {
                for (int j = 0; j < VOCAB; j++) {
                    m[pos][j] += state[i] * t[i][j];
                }
            }
            state = m[pos];
        }
        return m;
    }

    static double[][] observed(Generator g) {
        double[][] counts = new double[3][VOCAB];
        GenerationConfig base = GenerationConfig.builder().optMaxNewTokens(3).optTemperature(1.0).build();
        for (int s = 0; s < DRAWS; s++) {
            GenerationResult r = g.generate(Prompt.ids(1, 2, 0, 1, 2, PROMPT_LAST), base.toBuilder().optSeed(s).build());
            assertThat(r.tokenIds()).hasSize(3);
            for (int pos = 0; pos < 3; pos++) {
                counts[pos][r.tokenIds().get(pos)] += 1.0 / DRAWS;
            }
        }
        return counts;
    }

    static void assertMatches(Generator g, String what) {
        double[][] exact = exactMarginals();
        double[][] seen = observed(g);
        for (int pos = 0; pos < 3; pos++) {
            double tv = 0;
            for (int j = 0; j < VOCAB; j++) {
                tv += Math.abs(exact[pos][j] - seen[pos][j]) / 2;
            }
            assertThat(tv).as(what + ": total variation of token " + (pos + 1)).isLessThan(0.02);
            assertThat(seen[pos][6] + seen[pos][7]).as("padded ids").isZero();
        }
    }

    @Test
    void draftModelSamplingFollowsTheTargetDistribution() {
        try (ScriptedLM target = chain(SamplingDistributionTest::targetLogits);
                ScriptedLM draft = chain(SamplingDistributionTest::draftLogits)) {
            DecodingStrategy spec = SpeculativeDecoding.withDraftModel(draft).optDraftTokens(2).build();
            assertMatches(Generator.builder(target).optDecodingStrategy(spec).build(), "draft model");
        }
    }

    @Test
    void promptLookupSamplingFollowsTheTargetDistribution() {
        try (ScriptedLM target = chain(SamplingDistributionTest::targetLogits)) {
            DecodingStrategy spec = SpeculativeDecoding.withPromptLookup().optDraftTokens(2)
                    .optMaxMatchingNgramSize(1).build();
            assertMatches(Generator.builder(target).optDecodingStrategy(spec).build(), "prompt lookup");
        }
    }

    @Test
    void plainSamplingPassesTheSameCheck() {
        try (ScriptedLM target = chain(SamplingDistributionTest::targetLogits)) {
            assertMatches(Generator.builder(target).build(), "plain");
        }
    }

    @Test
    void seededRunsAreReproducible() {
        try (ScriptedLM target = chain(SamplingDistributionTest::targetLogits);
                ScriptedLM draft = chain(SamplingDistributionTest::draftLogits)) {
            Generator g = Generator.builder(target)
                    .optDecodingStrategy(SpeculativeDecoding.withDraftModel(draft).optDraftTokens(3).build()).build();
            GenerationConfig c = GenerationConfig.builder().optMaxNewTokens(30).optTemperature(0.9).optTopK(4)
                    .optSeed(7).build();
            List<Integer> first = g.generate(Prompt.ids(1, 2, 3), c).tokenIds();
            assertThat(g.generate(Prompt.ids(1, 2, 3), c).tokenIds()).isEqualTo(first);
        }
    }
}
