package dev.billionllm.bench.mmlu;

/**
 * Accuracy on one subject.
 *
 * @param subject snake_case subject
 * @param correct questions whose highest-scoring choice was the answer
 * @param total questions evaluated
 */
public record SubjectScore(String subject, int correct, int total) {

    public SubjectScore {
        if (total <= 0 || correct < 0 || correct > total) {
            throw new IllegalArgumentException("subject " + subject + ": need 0 <= correct <= total and total > 0, got "
                    + correct + "/" + total);
        }
    }

    public double accuracy() {
        return (double) correct / total;
    }
}
