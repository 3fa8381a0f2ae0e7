package dev.billionllm.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * tiny-tinyllama (SentencePiece-style BPE) as the draft of tiny-pythia (GPT-NeoX BPE): refused with
 * an error that names the differences and the fix; with cross-tokenizer mode the greedy output is
 * the target's plain greedy output.
 */
class CrossTokenizerTest {
    static Model pythia;
    static Model tinyllama;

    @BeforeAll
    static void load() {
        LoadOptions options = LoadOptions.builder().optDevice("cpu").optThreads(1).build();
        pythia = Model.load(Fixtures.dir("tiny-pythia"), options.toBuilder().optBackend("pytorch").build());
        tinyllama = Model.load(Fixtures.dir("tiny-tinyllama"), options.toBuilder().optBackend("pytorch").build());
    }

    @AfterAll
    static void close() {
        if (pythia != null) {
            pythia.close();
        }
        if (tinyllama != null) {
            tinyllama.close();
        }
    }

    static final GenerationConfig GREEDY = GenerationConfig.builder().optMaxNewTokens(24).optTemperature(0).build();

    @Test
    void aDraftWithAnotherTokenizerIsRefusedByDefault() {
        Generator g = pythia.generator().toBuilder().optDecodingStrategy(SpeculativeDecoding
                .withDraftModel(tinyllama.lm()).optDraftTokenizer(tinyllama.tokenizer()).build()).build();
        assertThatThrownBy(() -> g.generate("counting: one two", GREEDY))
                .isInstanceOf(IncompatibleDraftException.class)
                .hasMessageContaining("tokenizer differs")
                .hasMessageContaining("eos token")
                .hasMessageContaining("shared ids differ")
                .hasMessageContaining("--cross-tokenizer");
    }

    @Test
    void crossTokenizerGreedyEqualsTheTargetsPlainGreedy() {
        Generator spec = pythia.generator().toBuilder().optDecodingStrategy(SpeculativeDecoding
                .withDraftModel(tinyllama.lm()).optDraftTokenizer(tinyllama.tokenizer()).optCrossTokenizer(true)
                .build()).build();
        long accepted = 0;
        for (String prompt : new String[] {"counting: one two", "the cat sat on the", "one plus two is"}) {
            GenerationResult plain = pythia.generator().generate(prompt, GREEDY);
            GenerationResult cross = spec.generate(prompt, GREEDY);
            assertThat(cross.tokenIds()).as(prompt).isEqualTo(plain.tokenIds());
            assertThat(cross.text()).isEqualTo(plain.text());
            assertThat(cross.metrics().strategy()).isEqualTo("draft-model-cross-tokenizer");
            accepted += cross.metrics().acceptedTokens();
        }
        // both were trained on the same toy corpus: re-tokenized drafts must be accepted sometimes
        assertThat(accepted).isPositive();
    }

    @Test
    void crossTokenizerSamplingIsRefused() {
        Generator spec = pythia.generator().toBuilder().optDecodingStrategy(SpeculativeDecoding
                .withDraftModel(tinyllama.lm()).optDraftTokenizer(tinyllama.tokenizer()).optCrossTokenizer(true)
                .build()).build();
        assertThatThrownBy(() -> spec.generate("one", GREEDY.toBuilder().optTemperature(0.8).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("greedy only");
    }
}
