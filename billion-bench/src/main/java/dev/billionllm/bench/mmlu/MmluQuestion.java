package dev.billionllm.bench.mmlu;

import java.util.List;

/**
 * One MMLU question.
 *
 * @param subject snake_case subject, as in the file names ("abstract_algebra")
 * @param question question text
 * @param choices the four answers, A to D
 * @param answer index of the right answer (0 = A)
 */
public record MmluQuestion(String subject, String question, List<String> choices, int answer) {

    /** The answer letters in choice order. */
    public static final List<String> LETTERS = List.of("A", "B", "C", "D");

    public MmluQuestion {
        choices = List.copyOf(choices);
        if (choices.size() != LETTERS.size()) {
            throw new IllegalArgumentException("an MMLU question has 4 choices, got " + choices.size() + " in \""
                    + question + "\"");
        }
        if (answer < 0 || answer >= LETTERS.size()) {
            throw new IllegalArgumentException("answer index must be 0..3, got " + answer + " in \"" + question + "\"");
        }
    }
}
