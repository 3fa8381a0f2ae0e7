package dev.billionllm.bench.mmlu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Prompts exactly as lm-evaluation-harness's default MMLU task renders them. */
class MmluPromptsTest {

    private final MmluDataset data = MmluTestData.csv();

    @Test
    void zeroShotPrompt() {
        MmluQuestion q = data.test().get("high_school_geography").get(0);
        assertThat(MmluPrompts.context(q, List.of())).isEqualTo(
                "The following are multiple choice questions (with answers) about high school geography.\n\n"
                        + "What is the capital of Australia?\n"
                        + "A. Sydney\n"
                        + "B. Melbourne\n"
                        + "C. Canberra\n"
                        + "D. Perth\n"
                        + "Answer:");
        assertThat(MmluPrompts.continuation(2)).isEqualTo(" C");
    }

    @Test
    void fiveShotPromptUsesTheFirstDevQuestionsInOrderAndStripsQuestions() {
        MmluQuestion q = data.test().get("astronomy").get(2);
        String expected = "The following are multiple choice questions (with answers) about astronomy.\n\n"
                + "Which planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Earth\nD. Mars\nAnswer: B\n\n"
                + "What is the name of our galaxy?\nA. Andromeda\nB. Triangulum\nC. Milky Way\nD. Sombrero\nAnswer: C\n\n"
                + "Which of these is a dwarf planet, according to the IAU?\nA. Pluto\nB. Neptune\nC. Io\nD. Titan\n"
                + "Answer: A\n\n"
                + "How many moons does Mars have?\nA. 0\nB. 1\nC. 3\nD. 2\nAnswer: D\n\n"
                + "What kind of star is the Sun?\nA. Red giant\nB. White dwarf\nC. Neutron star\nD. Yellow dwarf\n"
                + "Answer: D\n\n"
                + "Which planet is known as the \"Red Planet\"?\nA. Venus\nB. Mars\nC. Mercury\nD. Jupiter\nAnswer:";
        assertThat(MmluPrompts.context(q, data.dev().get("astronomy"))).isEqualTo(expected);
    }

    @Test
    void stripIsPythons() {
        assertThat(MmluPrompts.pythonStrip("\u00a0 q \t\n")).isEqualTo("q");
    }
}
