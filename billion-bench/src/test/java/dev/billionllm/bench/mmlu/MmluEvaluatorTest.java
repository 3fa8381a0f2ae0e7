package dev.billionllm.bench.mmlu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.billionllm.bench.testing.PrefixLM;
import dev.billionllm.bench.testing.WordTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scores the sample with scripted models whose preferences are known, so the accuracies are known
 * exactly.
 */
class MmluEvaluatorTest {

    private static final int V = 4096;
    private final MmluDataset data = MmluTestData.csv();
    private final WordTokenizer tok = new WordTokenizer();

    /**
     * Prefers, after any prompt, the letter mapped to the last of {@code picks}' questions that
     * occurs in it (logit 3 for that letter's " X" token, 0 elsewhere).
     */
    private PrefixLM questionPicker(Map<String, String> picks) {
        return new PrefixLM(V, 4096, prefix -> {
            String text = tok.decode(prefix, false);
            int at = -1;
            String letter = null;
            for (Map.Entry<String, String> e : picks.entrySet()) {
                int i = text.lastIndexOf(e.getKey());
                if (i > at) {
                    at = i;
                    letter = e.getValue();
                }
            }
            float[] l = new float[V];
            if (letter != null) {
                l[tok.id(" " + letter)] = 3;
            }
            return l;
        });
    }

    /** Answers the test questions: astronomy 2 of 3, geography 1 of 2, world religions 4 of 4. */
    private PrefixLM knownPreferences() {
        return questionPicker(Map.of(
                "What is the largest planet", "B",        // right
                "Light from the Sun reaches", "C",        // wrong (A)
                "known as the \"Red Planet\"", "B",       // right
                "What is the capital of Australia", "D",  // wrong (C)
                "Which line divides the Earth", "B",      // right
                "What is the sacred river", "B",          // right
                "Tao Te Ching", "C",                      // right
                "The Five Pillars", "A",                  // right
                "Easter celebrates", "B"));               // right
    }

    private static void assertKnownScores(MmluResult r) {
        assertThat(r.subjects()).extracting(SubjectScore::subject)
                .containsExactly("astronomy", "high_school_geography", "world_religions");
        assertThat(r.subjects()).extracting(SubjectScore::correct).containsExactly(2, 1, 4);
        assertThat(r.subjects()).extracting(SubjectScore::total).containsExactly(3, 2, 4);
        assertThat(r.correct()).isEqualTo(7);
        assertThat(r.total()).isEqualTo(9);
        assertThat(r.microAccuracy()).isEqualTo(7.0 / 9);
        assertThat(r.macroAccuracy()).isCloseTo((2.0 / 3 + 1.0 / 2 + 1.0) / 3, within(1e-15));
    }

    @Test
    void zeroShotAccuracyIsExactlyTheScriptedOne() {
        MmluResult r = new MmluEvaluator(knownPreferences(), tok).numFewshot(0).evaluate(data);
        assertThat(r.numFewshot()).isZero();
        assertKnownScores(r);
    }

    @Test
    void fiveShotAccuracyIsExactlyTheScriptedOne() {
        // The dev questions in the 5-shot context are not among the picks: the test question decides.
        MmluResult r = new MmluEvaluator(knownPreferences(), tok).numFewshot(5).evaluate(data);
        assertThat(r.numFewshot()).isEqualTo(5);
        assertKnownScores(r);
    }

    @Test
    void fewShotExamplesReachTheModel() {
        // Copies the letter of the last answered example ("Answer: X\n\n"), else scores all equal
        // (argmax then picks A, as the harness's np.argmax does on ties).
        PrefixLM copier = new PrefixLM(V, 4096, prefix -> {
            String text = tok.decode(prefix, false);
            int i = text.lastIndexOf("Answer: ");
            float[] l = new float[V];
            if (i >= 0) {
                l[tok.id(" " + text.charAt(i + 8))] = 3;
            }
            return l;
        });
        // 0-shot: always A; right where the answer is A: astronomy 1/3, geography 0/2, religions 1/4.
        MmluResult zero = new MmluEvaluator(copier, tok).evaluate(data);
        assertThat(zero.subjects()).extracting(SubjectScore::correct).containsExactly(1, 0, 1);
        // 5-shot: the last dev answers are D, C and A: astronomy 0/3, geography 1/2, religions 1/4.
        MmluResult five = new MmluEvaluator(copier, tok).numFewshot(5).evaluate(data);
        assertThat(five.subjects()).extracting(SubjectScore::correct).containsExactly(0, 1, 1);
        // 1-shot: the first dev answers are B, A and B: astronomy 2/3, geography 0/2, religions 2/4.
        MmluResult one = new MmluEvaluator(copier, tok).numFewshot(1).evaluate(data);
        assertThat(one.subjects()).extracting(SubjectScore::correct).containsExactly(2, 0, 2);
    }

    @Test
    void choiceLogLikelihoodsAreTheScriptedValues() {
        MmluEvaluator ev = new MmluEvaluator(knownPreferences(), tok);
        double[] ll = ev.choiceLogLikelihoods(data.test().get("astronomy").get(0), List.of());
        double z = Math.log(Math.exp(3) + V - 1);
        assertThat(ll[0]).isCloseTo(-z, within(1e-9));
        assertThat(ll[1]).isCloseTo(3 - z, within(1e-9));
        assertThat(ll[2]).isCloseTo(-z, within(1e-9));
        assertThat(ll[3]).isCloseTo(-z, within(1e-9));
    }

    @Test
    void limitTakesTheFirstQuestionsOfEachSubjectAndOneForwardPerQuestion() {
        PrefixLM lm = knownPreferences();
        List<String> progress = new ArrayList<>();
        MmluResult r = new MmluEvaluator(lm, tok).limit(1).progress(progress::add).evaluate(data);
        assertThat(r.limit()).isEqualTo(1);
        assertThat(r.subjects()).extracting(SubjectScore::correct).containsExactly(1, 0, 1);
        assertThat(r.total()).isEqualTo(3);
        assertThat(lm.forwardCalls).isEqualTo(3);
        assertThat(progress).containsExactly("astronomy: 1/1 (1.0000)", "high_school_geography: 0/1 (0.0000)",
                "world_religions: 1/1 (1.0000)");
    }

    @Test
    void tooFewDevQuestionsIsAClearError() {
        assertThatThrownBy(() -> new MmluEvaluator(knownPreferences(), tok).numFewshot(6).evaluate(data))
                .hasMessageContaining("astronomy has 5 dev questions; 6-shot needs 6");
    }
}
