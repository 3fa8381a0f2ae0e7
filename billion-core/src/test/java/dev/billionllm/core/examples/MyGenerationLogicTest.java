package dev.billionllm.core.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.billionllm.core.Model;
import dev.billionllm.core.generate.FinishReason;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.testing.ScriptedLM;
import dev.billionllm.core.testing.ScriptedTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JUnit example of docs/testing.md, verbatim: keep the two in step. */
class MyGenerationLogicTest {

    /** A tokenizer that knows six strings; id i is the i-th. */
    static final ScriptedTokenizer TOKENIZER = ScriptedTokenizer.builder()
            .addTokens("<s>", "</s>", "Hello", ",", " world", "\n")
            .optBosToken("<s>")
            .optEosToken("</s>")
            .build();

    static int id(String token) {
        return TOKENIZER.tokenToId(token);
    }

    @Test
    void answerStopsAtTheFirstNewline() {
        // The model answers every prompt with "Hello, world\n</s>", one token per step.
        ScriptedLM lm = ScriptedLM.builder()
                .optVocabSize(TOKENIZER.vocabSize())
                .optEosTokenIds(id("</s>"))
                .setScript(id("Hello"), id(","), id(" world"), id("\n"), id("</s>"))
                .build();
        Generator generator = Generator.builder(lm).optTokenizer(TOKENIZER).build();
        GenerationConfig config = GenerationConfig.builder()
                .optMaxNewTokens(20)
                .optStopStrings(List.of("\n"))
                .build();

        GenerationResult result = generator.generate("Hello", config);

        assertEquals("Hello, world", result.text());
        assertEquals(FinishReason.STOP_STRING, result.finishReason());
    }

    @Test
    void logitsFromAFunction() {
        // Logits computed from the ids so far: here "repeat the last token".
        ScriptedLM echo = ScriptedLM.builder()
                .optVocabSize(TOKENIZER.vocabSize())
                .setLogits(ids -> ScriptedLM.oneHot(TOKENIZER.vocabSize(), ids[ids.length - 1]))
                .build();
        Generator generator = Generator.builder(echo).optTokenizer(TOKENIZER).build();

        GenerationResult result = generator.generate(Prompt.ids(id(",")),
                GenerationConfig.builder().optMaxNewTokens(3).build());

        assertEquals(",,,", result.text());
        assertEquals(FinishReason.LENGTH, result.finishReason());
    }

    @Test
    void greedyOnTheBundledTinyLlama() {
        // The fixture models ship in billion-core's test-jar; Fixtures.dir finds (or extracts) them.
        try (Model model = Model.load(Fixtures.dir("tiny-tinyllama"))) {
            GenerationResult result = model.generator().generate("one plus two is",
                    GenerationConfig.builder().optMaxNewTokens(8).optStopStrings(List.of(".")).build());

            assertEquals("three", result.text());
            assertEquals(FinishReason.STOP_STRING, result.finishReason());
        }
    }
}
