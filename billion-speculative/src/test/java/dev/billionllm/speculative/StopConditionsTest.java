package dev.billionllm.speculative;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.generate.CancellationToken;
import dev.billionllm.core.generate.FinishReason;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.generate.TokenEvent;
import dev.billionllm.core.testing.ScriptedLM;
import dev.billionllm.core.testing.ScriptedTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Stop strings, eos inside an accepted run, max new tokens mid-run, cancellation and the context
 * limit end a speculative generation exactly where plain decoding ends it: same ids, text, finish
 * reason and streamed deltas. The draft is the target itself, so every round accepts a long run and
 * the stop condition falls inside it.
 */
class StopConditionsTest {
    // ids: 0 <s>, 1 </s>, 2 "a", 3 "b", 4 "c", 5 " ", 6 "STOP", 7 "ST", 8 "OP"
    static final ScriptedTokenizer TOKENIZER = ScriptedTokenizer.builder()
            .addTokens("<s>", "</s>", "a", "b", "c", " ", "STOP", "ST", "OP").optBosToken("<s>").optEosToken("</s>")
            .build();
    static final int[] PROMPT = {0, 2};
    static final int[] SCRIPT = {2, 3, 4, 5, 2, 7, 8, 3, 4, 2, 3, 1, 2, 2, 2, 2, 2, 2, 2, 2};

    static ScriptedLM lm(int maxPositions) {
        return ScriptedLM.builder().optVocabSize(16).optUsableVocabSize(TOKENIZER.vocabSize())
                .optMaxPositionEmbeddings(maxPositions).optEosTokenIds(1)
                // a function of the ids (not setScript, whose prompt is the first forward pass: the
                // verifier's prefill leaves the last prompt token for the first round)
                .setLogits(ids -> ScriptedLM.oneHot(16, SCRIPT[Math.max(0, Math.min(ids.length - PROMPT.length, SCRIPT.length - 1))]))
                .build();
    }

    record Run(GenerationResult result, List<TokenEvent> events) {}

    static Run run(Generator g, GenerationConfig config, boolean cancelAfterThird) {
        List<TokenEvent> events = new ArrayList<>();
        CancellationToken cancel = new CancellationToken();
        GenerationResult r = g.generate(Prompt.ids(PROMPT), config, e -> {
            events.add(e);
            if (cancelAfterThird && events.size() == 3) {
                cancel.cancel();
            }
        }, cancel);
        return new Run(r, events);
    }

    static void assertSameAsPlain(GenerationConfig config, int maxPositions, boolean cancel, FinishReason expected) {
        try (ScriptedLM target = lm(maxPositions); ScriptedLM draft = lm(maxPositions)) {
            Generator plain = Generator.builder(target).optTokenizer(TOKENIZER).build();
            Run p = run(plain, config, cancel);
            for (var strategy : List.of(
                    SpeculativeDecoding.withDraftModel(draft).optDraftTokenizer(TOKENIZER).optDraftTokens(6).build(),
                    SpeculativeDecoding.withPromptLookup().optDraftTokens(6).build())) {
                Run s = run(plain.toBuilder().optDecodingStrategy(strategy).build(), config, cancel);
                String what = strategy.name() + " with " + config;
                assertThat(s.result().finishReason()).as(what).isEqualTo(expected).isEqualTo(p.result().finishReason());
                assertThat(s.result().tokenIds()).as(what).isEqualTo(p.result().tokenIds());
                assertThat(s.result().text()).as(what).isEqualTo(p.result().text());
                assertThat(s.events().stream().map(TokenEvent::text).collect(Collectors.toList())).as(what)
                        .isEqualTo(p.events().stream().map(TokenEvent::text).collect(Collectors.toList()));
            }
            if (config.maxNewTokens() > 8 && !cancel) {
                assertThat(p.result().tokenIds().size()).isGreaterThan(3);
            }
        }
    }

    static GenerationConfig.Builder greedy(int n) {
        return GenerationConfig.builder().optMaxNewTokens(n).optTemperature(0);
    }

    @Test
    void stopStringAcrossTokensInsideAnAcceptedRun() {
        // "ST" + "OP" makes "STOP" across two tokens in the middle of a round
        assertSameAsPlain(greedy(30).optStopStrings(List.of("STOP")).build(), 2048, false, FinishReason.STOP_STRING);
    }

    @Test
    void eosInsideAnAcceptedRun() {
        assertSameAsPlain(greedy(30).build(), 2048, false, FinishReason.EOS);
    }

    @Test
    void maxNewTokensReachedMidRun() {
        assertSameAsPlain(greedy(4).build(), 2048, false, FinishReason.LENGTH);
    }

    @Test
    void contextLimitReachedMidRun() {
        assertSameAsPlain(greedy(30).build(), 7, false, FinishReason.CONTEXT_FULL);
    }

    @Test
    void cancellationBetweenTokensOfOneRound() {
        assertSameAsPlain(greedy(30).build(), 2048, true, FinishReason.CANCELLED);
    }

    @Test
    void batchesAreRefusedWithAClearMessage() {
        try (ScriptedLM target = lm(64)) {
            Generator g = Generator.builder(target)
                    .optDecodingStrategy(SpeculativeDecoding.withPromptLookup().build()).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> g.generateBatch(
                    List.of(Prompt.ids(0, 2), Prompt.ids(0, 3)), greedy(4).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one prompt at a time");
        }
    }
}
