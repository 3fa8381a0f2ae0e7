package dev.billionllm.bench.mmlu;

import java.util.List;

/**
 * Renders prompts exactly as lm-evaluation-harness's default MMLU task does
 * ({@code _default_template_yaml} with its default delimiters):
 *
 * <pre>
 * The following are multiple choice questions (with answers) about {subject with spaces}.\n\n
 * {shot question.strip()}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer: {letter}\n\n    (k times)
 * {question.strip()}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer:
 * </pre>
 *
 * followed by the continuation {@code " A"} .. {@code " D"} (target delimiter {@code " "}). Only the
 * question is stripped; the choices are used as they are, as in the template.
 */
public final class MmluPrompts {

    /** The harness's {@code target_delimiter}: between "Answer:" and the letter. */
    public static final String TARGET_DELIMITER = " ";
    /** The harness's {@code fewshot_delimiter}: after each answered example. */
    public static final String FEWSHOT_DELIMITER = "\n\n";

    private MmluPrompts() {}

    /** The task's description line, from its snake_case subject. */
    public static String description(String subject) {
        return "The following are multiple choice questions (with answers) about " + subject.replace('_', ' ')
                + ".\n\n";
    }

    /** The template's {@code doc_to_text}: the question and its choices, ending in "Answer:". */
    public static String question(MmluQuestion q) {
        StringBuilder sb = new StringBuilder(pythonStrip(q.question()));
        for (int i = 0; i < MmluQuestion.LETTERS.size(); i++) {
            sb.append('\n').append(MmluQuestion.LETTERS.get(i)).append(". ").append(q.choices().get(i));
        }
        return sb.append("\nAnswer:").toString();
    }

    /**
     * Python's {@code str.strip()}: also removes Unicode space separators such as U+00A0, which
     * Java's {@link String#strip()} keeps.
     */
    static String pythonStrip(String s) {
        int begin = 0;
        int end = s.length();
        while (begin < end && isPythonSpace(s.charAt(begin))) {
            begin++;
        }
        while (end > begin && isPythonSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(begin, end);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** The context of {@code q}: description, the answered {@code shots}, then {@code q}'s question. */
    public static String context(MmluQuestion q, List<MmluQuestion> shots) {
        StringBuilder sb = new StringBuilder(description(q.subject()));
        for (MmluQuestion shot : shots) {
            sb.append(question(shot)).append(TARGET_DELIMITER).append(MmluQuestion.LETTERS.get(shot.answer()))
                    .append(FEWSHOT_DELIMITER);
        }
        return sb.append(question(q)).toString();
    }

    /** The continuation scored for choice {@code index}: {@code " A"} .. {@code " D"}. */
    public static String continuation(int index) {
        return TARGET_DELIMITER + MmluQuestion.LETTERS.get(index);
    }
}
