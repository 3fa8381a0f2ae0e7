package dev.billionllm.finetune;

/**
 * One tokenised training sequence.
 *
 * @param ids token ids, special tokens included
 * @param trained per position, whether the model is trained to predict this token (assistant
 *     turns, completions, plain text; not prompts)
 */
public record Example(int[] ids, boolean[] trained) {
    public Example {
        if (ids.length != trained.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + trained.length + " mask entries");
        }
    }

    /** Tokens that count in the loss: trained positions after the first (labels are shifted by one). */
    public int labelCount() {
        int n = 0;
        for (int i = 1; i < ids.length; i++) {
            n += trained[i] ? 1 : 0;
        }
        return n;
    }

    /** The first {@code maxLength} tokens. */
    public Example truncate(int maxLength) {
        if (ids.length <= maxLength) {
            return this;
        }
        return new Example(java.util.Arrays.copyOf(ids, maxLength), java.util.Arrays.copyOf(trained, maxLength));
    }
}
