package dev.billionllm.bench.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import dev.billionllm.bench.mmlu.MmluDataset;
import dev.billionllm.bench.mmlu.MmluEvaluator;
import dev.billionllm.bench.mmlu.MmluPrompts;
import dev.billionllm.bench.mmlu.MmluQuestion;
import dev.billionllm.bench.testing.TinyModels;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.io.safetensors.SafetensorsFile;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scoring on the real tiny-tinyllama checkpoint against transformers' golden logits
 * ({@code prompt0.logits}, log-softmaxed here) and golden loss.
 */
class TinyLlamaScoringTest {

    private static final Path DIR = Fixtures.dir("tiny-tinyllama");
    private static CausalLM lm;
    private static HfTokenizer tokenizer;
    private static float[] golden;
    private static int vocab;

    @BeforeAll
    static void load() {
        lm = TinyModels.load("tiny-tinyllama");
        tokenizer = HfTokenizer.load(DIR);
        try (SafetensorsFile g = SafetensorsFile.open(DIR.resolve("golden.safetensors"))) {
            golden = g.floats("prompt0.logits");
            vocab = (int) g.info("prompt0.logits").shape()[1];
        }
    }

    @AfterAll
    static void close() {
        lm.close();
        tokenizer.close();
    }

    /** log_softmax(golden prompt0 logits at position t)[id]. */
    private static double goldenLogProb(int t, int id) {
        return LogProbs.logProb(golden, t * vocab, vocab, id);
    }

    @Test
    void choiceLogLikelihoodEqualsGoldenLogits() {
        // "the cat sat on" = [<s>, ▁the▁cat, ▁sat▁on] = [1, 705, 624]
        EncodedPair pair = LogLikelihood.encodePair(tokenizer, "the cat", " sat on", true);
        assertThat(pair.context()).containsExactly(1, 705);
        assertThat(pair.continuation()).containsExactly(624);
        LogLikelihood ll = new LogLikelihood(lm);
        double expected = goldenLogProb(1, 624);
        assertThat(ll.score(pair).logLikelihood()).isCloseTo(expected, within(1e-4));
        assertThat(ll.scoreChoices(pair.context(), List.of(pair.continuation())).get(0).logLikelihood())
                .isCloseTo(expected, within(1e-4));

        // A two-token continuation, through the cache-copy path and the single-pass path.
        double two = goldenLogProb(0, 705) + goldenLogProb(1, 624);
        assertThat(ll.score(new EncodedPair(new int[] {1}, new int[] {705, 624})).logLikelihood())
                .isCloseTo(two, within(1e-4));
        List<ContinuationScore> choices = ll.scoreChoices(new int[] {1}, List.of(new int[] {705, 624}, new int[] {705}));
        assertThat(choices.get(0).logLikelihood()).isCloseTo(two, within(1e-4));
        assertThat(choices.get(1).logLikelihood()).isCloseTo(goldenLogProb(0, 705), within(1e-4));
    }

    @Test
    void perplexityWithOneWindowIsExpOfTheMeanNllOfThatForward() {
        JsonObject loss = ModelConfigParser.readJson(DIR.resolve("golden.json")).getAsJsonObject("loss");
        String text = loss.get("text").getAsString();
        int[] ids = tokenizer.encode(text, true);
        assertThat(ids).containsExactly(1, 598, 702, 596, 576, 560, 561);

        PerplexityResult r = Perplexity.ofText(lm, tokenizer, text, 64, 32);
        assertThat(r.windows()).isEqualTo(1);
        assertThat(r.scoredTokens()).isEqualTo(ids.length - 1);

        // The same forward pass, scored by hand.
        double nll = 0;
        try (KvCache cache = lm.newCache(1, ids.length)) {
            Logits logits = lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL);
            for (int j = 1; j < ids.length; j++) {
                nll -= LogProbs.logProb(logits.values(), logits.offset(0, j - 1), logits.vocab(), ids[j]);
            }
        }
        double mean = nll / (ids.length - 1);
        assertThat(r.meanNll()).isCloseTo(mean, within(1e-9));
        assertThat(r.perplexity()).isCloseTo(Math.exp(mean), within(1e-9));
        // And transformers' own loss on these ids.
        assertThat(r.meanNll()).isCloseTo(loss.get("mean_nll").getAsDouble(), within(1e-4));
    }

    @Test
    void slidingWindowsScoreEachTokenWithTheContextItsWindowGives() {
        int[] ids = {1, 598, 702, 596, 576, 560, 561};
        // window 4, stride 1: [0,4) scores 1..3 after all earlier tokens; [1,5) scores 4 after 1..3;
        // [2,6) scores 5 after 2..4; [3,7) scores 6 after 3..5. Cross-checked with LogLikelihood.
        LogLikelihood ll = new LogLikelihood(lm);
        double sum = 0;
        for (int j = 1; j < ids.length; j++) {
            int from = Math.max(0, j - 3);
            int[] context = java.util.Arrays.copyOfRange(ids, from, j);
            sum += ll.score(new EncodedPair(context, new int[] {ids[j]})).logLikelihood();
        }
        PerplexityResult sliding = Perplexity.of(lm, ids, 4, 1);
        assertThat(sliding.windows()).isEqualTo(4);
        assertThat(sliding.scoredTokens()).isEqualTo(6);
        assertThat(sliding.meanNll()).isCloseTo(-sum / 6, within(1e-5));
    }

    @Test
    void mmluChoicesWithTheRealTokenizerEqualSeparateHarnessRequests() throws Exception {
        MmluDataset data = MmluDataset.load(Path.of(getClass().getResource("/mmlu-sample").toURI()));
        MmluQuestion q = data.test().get("world_religions").get(1);
        List<MmluQuestion> shots = data.dev().get("world_religions");
        MmluEvaluator evaluator = new MmluEvaluator(lm, tokenizer);
        double[] shared = evaluator.choiceLogLikelihoods(q, shots);
        LogLikelihood ll = new LogLikelihood(lm);
        String context = MmluPrompts.context(q, shots);
        for (int i = 0; i < 4; i++) {
            // One request per choice, run alone through its own forward pass, as the harness does.
            EncodedPair pair = LogLikelihood.encodePair(tokenizer, context, MmluPrompts.continuation(i), true);
            assertThat(pair.context()[0]).isEqualTo(1); // BOS, as the tokenizer adds it
            // This tokenizer merges "wer:" with the space of " A" ("wer:▁"), so the whole encoding is
            // shorter than the context's and the split falls where they part: ["wer:▁", "<0x41>"+i].
            assertThat(pair.continuation()).hasSize(2);
            assertThat(tokenizer.idToToken(pair.continuation()[0])).isEqualTo("wer:▁");
            assertThat(tokenizer.idToToken(pair.continuation()[1])).isEqualTo(String.format("<0x%02X>", 'A' + i));
            assertThat(shared[i]).isCloseTo(ll.score(pair).logLikelihood(), within(1e-4));
        }
    }
}
