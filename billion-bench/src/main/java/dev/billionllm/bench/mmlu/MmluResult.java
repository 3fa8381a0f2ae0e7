package dev.billionllm.bench.mmlu;

import java.util.List;

/**
 * Scores of one MMLU run.
 *
 * @param numFewshot examples from the dev split before each question
 * @param limit questions per subject cap (0 = all)
 * @param subjects per-subject accuracy, alphabetically
 */
public record MmluResult(int numFewshot, int limit, List<SubjectScore> subjects) {

    public MmluResult {
        subjects = List.copyOf(subjects);
        if (subjects.isEmpty()) {
            throw new IllegalArgumentException("an MMLU result needs at least one subject");
        }
    }

    /** Questions evaluated across subjects. */
    public int total() {
        return subjects.stream().mapToInt(SubjectScore::total).sum();
    }

    /** Correct answers across subjects. */
    public int correct() {
        return subjects.stream().mapToInt(SubjectScore::correct).sum();
    }

    /**
     * Accuracy over all questions (each question weighs the same): the harness's {@code mmlu}
     * group figure, which aggregates with {@code weight_by_size: true}.
     */
    public double microAccuracy() {
        return (double) correct() / total();
    }

    /** Mean of the per-subject accuracies (each subject weighs the same). */
    public double macroAccuracy() {
        return subjects.stream().mapToDouble(SubjectScore::accuracy).average().orElseThrow();
    }
}
