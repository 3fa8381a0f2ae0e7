package dev.billionllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelTest {

    @Test
    void picksPytorchForSafetensorsAndLimitsIdsToTheTokenizer() {
        try (Model m = Model.load(Fixtures.dir("tiny-pythia"))) {
            assertThat(m.backend()).isEqualTo("pytorch");
            // Pythia's vocabulary is padded past its tokenizer: the padded ids are never usable.
            assertThat(m.lm().usableVocabSize()).isEqualTo(m.tokenizer().vocabSize())
                    .isLessThan(m.config().vocabSize());
            assertThat(m.chatTemplate().isModelTemplate()).isFalse();
        }
    }

    @Test
    void picksOnnxRuntimeForAnOnnxFolderAndBothGenerateTheSameGreedyText() {
        GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(12).build();
        try (Model onnx = Model.load(Fixtures.dir("tiny-tinyllama-onnx"));
                Model pt = Model.load(Fixtures.dir("tiny-tinyllama"))) {
            assertThat(onnx.backend()).isEqualTo("onnxruntime");
            assertThat(onnx.generator().generate("the cat sat on", greedy).tokenIds())
                    .isEqualTo(pt.generator().generate("the cat sat on", greedy).tokenIds());
        }
    }

    @Test
    void namedBackendThatCannotReadTheFolderIsAClearError() {
        Path onnxOnly = Fixtures.dir("tiny-tinyllama-onnx");
        assertThatThrownBy(() -> Model.load(onnxOnly, LoadOptions.builder().optBackend("pytorch").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("backend \"pytorch\"")
                .hasMessageContaining(onnxOnly.toString());
    }

    @Test
    void missingFolderIsAClearError(@TempDir Path tmp) {
        Path missing = tmp.resolve("nope");
        assertThatThrownBy(() -> Model.load(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> Model.load(tmp))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config.json");
    }
}
