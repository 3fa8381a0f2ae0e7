package dev.billionllm.speculative;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.generate.Draft;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.testing.ScriptedLM;
import org.junit.jupiter.api.Test;

/**
 * Draft and target vocabularies of different widths: ids past either model's usable vocabulary are
 * never proposed, a context id the draft cannot embed makes it propose nothing (the round becomes
 * a plain step), and the output is still the target's.
 */
class PaddedVocabularyTest {

    /** Target: 24 logits, 20 usable; it counts up from its last id, wrapping at 20. */
    static ScriptedLM target() {
        return ScriptedLM.builder().optVocabSize(24).optUsableVocabSize(20)
                .setLogits(ids -> ScriptedLM.oneHot(24, (ids[ids.length - 1] + 1) % 20)).build();
    }

    @Test
    void aNarrowerDraftProposesOnlyItsOwnIdsAndTheOutputIsTheTargets() {
        // the draft has 16 logits (12 usable) and prefers its padded id 15 unless the count goes on
        ScriptedLM draft = ScriptedLM.builder().optVocabSize(16).optUsableVocabSize(12).setLogits(ids -> {
            float[] l = new float[16];
            l[15] = 50; // padded: must never be proposed
            l[(ids[ids.length - 1] + 1) % 12] = 40;
            return l;
        }).build();
        try (ScriptedLM t = target(); ScriptedLM plainTarget = target(); draft) {
            GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(30).optTemperature(0).build();
            GenerationResult plain = Generator.builder(plainTarget).build().generate(Prompt.ids(1, 2, 3), greedy);
            Generator spec = Generator.builder(t).optDecodingStrategy(
                    SpeculativeDecoding.withDraftModel(draft).optDraftTokens(4).build()).build();
            GenerationResult r = spec.generate(Prompt.ids(1, 2, 3), greedy);
            assertThat(r.tokenIds()).isEqualTo(plain.tokenIds());
            // ids 12..19 come from the target alone (the draft cannot embed 16..19 and never proposes
            // past 11), yet the count 4..11 is drafted and accepted
            assertThat(r.tokenIds()).contains(12, 13, 19);
            assertThat(r.metrics().acceptedTokens()).isPositive();
        }
    }

    @Test
    void promptLookupNeverProposesIdsPastTheUsableVocabulary() {
        PromptLookupProposer lookup = new PromptLookupProposer(2, 20);
        Draft d = lookup.propose(new int[] {5, 6, 7, 21, 8, 5, 6}, 5);
        assertThat(d.tokens()).containsExactly(7); // stops before the unusable 21
    }
}
