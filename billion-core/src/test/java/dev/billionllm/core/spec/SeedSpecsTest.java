package dev.billionllm.core.spec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.RopeType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seed specs agree with the real configs bundled beside them. */
class SeedSpecsTest {

    @Test
    void fourSeedSpecsInOrder() {
        assertThat(new SeedSpecs().specs()).extracting(ModelSpec::id)
                .containsExactly("tinyllama", "llama-3.2-1b", "stablelm-2-1.6b", "pythia-1b");
    }

    @Test
    void everySeedHasABundledConfigWhoseShapesGiveItsParameterCount() {
        for (ModelSpec spec : new SeedSpecs().specs()) {
            ModelConfig config = SeedSpecs.bundledConfig(spec.id()).orElseThrow();
            assertThat(config.family()).as(spec.id()).isEqualTo(spec.family());
            // The spec's count is the published one; the config's shapes must reproduce it exactly.
            assertThat(config.parameterCount()).as(spec.id()).isEqualTo(spec.parameterCount());
            assertThat(spec.parameterCount()).as(spec.id()).isBetween(900_000_000L, 2_000_000_000L);
            assertThat(spec.generationDefaults().eosTokenIds()).as(spec.id()).isNotEmpty();
        }
        assertThat(SeedSpecs.bundledConfig("no-such-model")).isEmpty();
    }

    @Test
    void bundledConfigsHaveTheDocumentedShapes() {
        ModelConfig tiny = SeedSpecs.bundledConfig("tinyllama").orElseThrow();
        assertThat(List.of(tiny.numHiddenLayers(), tiny.hiddenSize(), tiny.numAttentionHeads(),
                tiny.numKeyValueHeads(), tiny.intermediateSize(), tiny.vocabSize()))
                .containsExactly(22, 2048, 32, 4, 5632, 32000);
        assertThat(tiny.torchDtype()).isEqualTo("bfloat16");

        ModelConfig llama = SeedSpecs.bundledConfig("llama-3.2-1b").orElseThrow();
        assertThat(List.of(llama.numHiddenLayers(), llama.hiddenSize(), llama.numAttentionHeads(),
                llama.numKeyValueHeads(), llama.intermediateSize(), llama.headDim(), llama.vocabSize()))
                .containsExactly(16, 2048, 32, 8, 8192, 64, 128256);
        assertThat(llama.rope().type()).isEqualTo(RopeType.LLAMA3);
        assertThat(llama.tieWordEmbeddings()).isTrue();
        assertThat(llama.eosTokenIds()).containsExactly(128001, 128008, 128009);
        assertThat(SeedSpecs.LLAMA_3_2_1B.gated()).isTrue();

        ModelConfig stablelm = SeedSpecs.bundledConfig("stablelm-2-1.6b").orElseThrow();
        assertThat(List.of(stablelm.numHiddenLayers(), stablelm.hiddenSize(), stablelm.numAttentionHeads(),
                stablelm.numKeyValueHeads(), stablelm.intermediateSize(), stablelm.vocabSize()))
                .containsExactly(24, 2048, 32, 32, 5632, 100352);
        assertThat(stablelm.rope().partialRotaryFactor()).isEqualTo(0.25);
        assertThat(stablelm.qkvBias()).isTrue();
        assertThat(SeedSpecs.STABLELM_2_1_6B.generationDefaults().eosTokenIds()).containsExactly(100278);

        ModelConfig pythia = SeedSpecs.bundledConfig("pythia-1b").orElseThrow();
        assertThat(List.of(pythia.numHiddenLayers(), pythia.hiddenSize(), pythia.numAttentionHeads(),
                pythia.intermediateSize(), pythia.vocabSize()))
                .containsExactly(16, 2048, 8, 8192, 50304);
        assertThat(pythia.family()).isEqualTo(Family.GPT_NEOX);
        assertThat(pythia.parallelResidual()).isTrue();
        assertThat(pythia.rope().partialRotaryFactor()).isEqualTo(0.25);
        assertThat(SeedSpecs.PYTHIA_1B.hasChatTemplate()).isFalse();
    }
}
