package dev.billionllm.bench.mmlu;

import dev.billionllm.bench.score.ContinuationScore;
import dev.billionllm.bench.score.EncodedPair;
import dev.billionllm.bench.score.LogLikelihood;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Scores MMLU like lm-evaluation-harness's default task: for each test question, the context from
 * {@link MmluPrompts#context} with the first {@code numFewshot} dev questions of its subject, the
 * four continuations {@code " A"}..{@code " D"} tokenized as {@link LogLikelihood#encodePair} does
 * (the context runs once when the four requests share it), and the choice with the highest summed log-likelihood (the first one on ties, like
 * {@code argmax}) compared to the answer ({@code acc}).
 *
 * <pre>{@code
 * MmluResult r = new MmluEvaluator(lm, tokenizer).numFewshot(5).limit(20).evaluate(MmluDataset.load(dir));
 * }</pre>
 */
public final class MmluEvaluator {

    private final LogLikelihood scorer;
    private final Tokenizer tokenizer;
    private int numFewshot = 0;
    private int limit = 0;
    private boolean addSpecialTokens = true;
    private Consumer<String> progress = s -> {};

    public MmluEvaluator(CausalLM lm, Tokenizer tokenizer) {
        this.scorer = new LogLikelihood(lm);
        this.tokenizer = tokenizer;
    }

    /** Dev examples before each question, 0 to 5. Default 0. */
    public MmluEvaluator numFewshot(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("numFewshot must be >= 0, got " + k);
        }
        this.numFewshot = k;
        return this;
    }

    /** Test questions per subject, from the start of each file (the harness's {@code --limit}); 0 = all. Default 0. */
    public MmluEvaluator limit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0 (0 = all), got " + limit);
        }
        this.limit = limit;
        return this;
    }

    /**
     * Whether encodings get the tokenizer's special tokens (BOS). Default {@code true}: the harness
     * delegates BOS to the tokenizer; {@code false} reproduces its older {@code add_bos_token=False}.
     */
    public MmluEvaluator addSpecialTokens(boolean add) {
        this.addSpecialTokens = add;
        return this;
    }

    /** Receives one line per finished subject. Default: nothing. */
    public MmluEvaluator progress(Consumer<String> progress) {
        this.progress = progress;
        return this;
    }

    /** Evaluates every subject of {@code data} that has test questions. */
    public MmluResult evaluate(MmluDataset data) {
        List<SubjectScore> scores = new ArrayList<>();
        for (String subject : data.subjects()) {
            List<MmluQuestion> test = data.test().get(subject);
            List<MmluQuestion> dev = data.dev().getOrDefault(subject, List.of());
            if (dev.size() < numFewshot) {
                throw new BillionException("subject " + subject + " has " + dev.size() + " dev questions; "
                        + numFewshot + "-shot needs " + numFewshot);
            }
            List<MmluQuestion> shots = dev.subList(0, numFewshot);
            int n = limit == 0 ? test.size() : Math.min(limit, test.size());
            int correct = 0;
            for (MmluQuestion q : test.subList(0, n)) {
                if (predict(q, shots) == q.answer()) {
                    correct++;
                }
            }
            SubjectScore s = new SubjectScore(subject, correct, n);
            progress.accept(String.format("%s: %d/%d (%.4f)", subject, correct, n, s.accuracy()));
            scores.add(s);
        }
        return new MmluResult(numFewshot, limit, scores);
    }

    /** Index of the choice with the highest log-likelihood after {@code shots}. */
    public int predict(MmluQuestion q, List<MmluQuestion> shots) {
        double[] ll = choiceLogLikelihoods(q, shots);
        int best = 0;
        for (int i = 1; i < ll.length; i++) {
            if (ll[i] > ll[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Log-likelihood of each of {@code " A"}..{@code " D"} after the context of {@code q}. */
    public double[] choiceLogLikelihoods(MmluQuestion q, List<MmluQuestion> shots) {
        String context = MmluPrompts.context(q, shots);
        List<EncodedPair> pairs = new ArrayList<>();
        boolean sharedContext = true;
        for (int i = 0; i < MmluQuestion.LETTERS.size(); i++) {
            pairs.add(LogLikelihood.encodePair(tokenizer, context, MmluPrompts.continuation(i), addSpecialTokens));
            sharedContext &= Arrays.equals(pairs.get(0).context(), pairs.get(i).context());
        }
        if (!sharedContext) {
            // Boundary merges split the choices at different places: score each request alone.
            return pairs.stream().mapToDouble(p -> scorer.score(p).logLikelihood()).toArray();
        }
        int[] contextIds = pairs.get(0).context();
        List<int[]> continuations = pairs.stream().map(EncodedPair::continuation).toList();
        List<ContinuationScore> scores = scorer.scoreChoices(contextIds, continuations);
        return scores.stream().mapToDouble(ContinuationScore::logLikelihood).toArray();
    }
}
