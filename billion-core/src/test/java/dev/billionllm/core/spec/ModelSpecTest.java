package dev.billionllm.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.GenerationDefaults;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ModelSpec validation, builder defaults and folder-derived specs. */
class ModelSpecTest {

    @TempDir
    Path tmp;

    private static ModelSpec.Builder minimal() {
        return ModelSpec.builder().setId("my-model").setRepoId("my-org/my-model-1b").setFamily(Family.LLAMA);
    }

    @Test
    void defaultsAreDocumentedValues() {
        ModelSpec s = minimal().build();
        assertThat(s.revision()).isEqualTo("main");
        assertThat(s.gated()).isFalse();
        assertThat(s.licence()).isEqualTo("unknown");
        assertThat(s.parameterCount()).isZero();
        assertThat(s.hasChatTemplate()).isFalse();
        assertThat(s.generationDefaults()).isEqualTo(GenerationDefaults.empty());
        assertThat(s.description()).isEmpty();
        assertThat(s.localDir()).isEmpty();
        assertThat(s.repoId()).contains("my-org/my-model-1b");
    }

    @Test
    void toBuilderRoundTripsAndDerives() {
        ModelSpec s = SeedSpecs.LLAMA_3_2_1B;
        assertThat(s.toBuilder().build()).isEqualTo(s).hasSameHashCodeAs(s);
        ModelSpec pinned = s.toBuilder().optRevision("9213176726f574b556790deb65791e0c5aa438b6").build();
        assertThat(pinned).isNotEqualTo(s);
        assertThat(pinned.revision()).isEqualTo("9213176726f574b556790deb65791e0c5aa438b6");
        assertThat(pinned.gated()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "TinyLlama", "my model", "a/b", "ümlaut", "x!"})
    void badIdsFailFast(String id) {
        assertThatThrownBy(() -> ModelSpec.builder().setId(id))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[a-z0-9._-]+");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "noslash", "a/b/c", "/name", "org/", "org/na me", "org/-name", "org/name.",
            "org/na--me", "org/na..me", "org/naïve"})
    void badRepoIdsFailFast(String repoId) {
        assertThatThrownBy(() -> ModelSpec.builder().setRepoId(repoId))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("repo id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TinyLlama/TinyLlama-1.1B-Chat-v1.0", "stabilityai/stablelm-2-1_6b-chat",
            "EleutherAI/pythia-1b", "a/b"})
    void legalRepoIdsAreAccepted(String repoId) {
        assertThat(minimal().setRepoId(repoId).build().repoId()).contains(repoId);
    }

    @Test
    void otherBadValuesFailFast() {
        assertThatThrownBy(() -> minimal().optRevision("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> minimal().optRevision("a..b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> minimal().optLicence(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> minimal().optParameterCount(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> minimal().setFamily(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void buildRequiresIdFamilyAndASource() {
        assertThatThrownBy(() -> ModelSpec.builder().setRepoId("a/b").setFamily(Family.LLAMA).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("id");
        assertThatThrownBy(() -> ModelSpec.builder().setId("x").setRepoId("a/b").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("family");
        assertThatThrownBy(() -> ModelSpec.builder().setId("x").setFamily(Family.LLAMA).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repo id");
        ModelSpec local = ModelSpec.builder().setId("x").setFamily(Family.LLAMA).optLocalDir(tmp).build();
        assertThat(local.repoId()).isEmpty();
        assertThat(local.localDir()).contains(tmp);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void forFolderDerivesFromTheFiles(String fixture) {
        Path dir = Fixtures.dir(fixture);
        ModelSpec s = ModelSpec.forFolder(dir);
        var config = ModelConfigParser.parse(dir);
        assertThat(s.id()).isEqualTo(fixture);
        assertThat(s.family()).isEqualTo(config.family());
        assertThat(s.parameterCount()).isEqualTo(config.parameterCount()).isPositive();
        assertThat(s.localDir()).contains(dir.toAbsolutePath().normalize());
        assertThat(s.repoId()).isEmpty();
        assertThat(s.generationDefaults().eosTokenIds()).isEqualTo(config.eosTokenIds());
        // Every fixture but pythia (a base model) ships a chat template in tokenizer_config.json.
        assertThat(s.hasChatTemplate()).isEqualTo(!fixture.equals("tiny-pythia"));
    }

    @Test
    void forFolderSeesChatTemplateJinjaAndSanitisesTheId() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("My Model_v2"));
        Files.copy(Fixtures.dir("tiny-pythia").resolve("config.json"), dir.resolve("config.json"));
        assertThat(ModelSpec.forFolder(dir).hasChatTemplate()).isFalse();
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages }}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": 0.5, \"do_sample\": true}");
        ModelSpec s = ModelSpec.forFolder(dir);
        assertThat(s.id()).isEqualTo("my-model_v2");
        assertThat(s.hasChatTemplate()).isTrue();
        assertThat(s.family()).isEqualTo(Family.GPT_NEOX);
        assertThat(s.generationDefaults().temperature().getAsDouble()).isEqualTo(0.5);
        assertThat(s.generationDefaults().bosTokenId()).isEqualTo(OptionalInt.empty());
    }

    @Test
    void forFolderWithoutConfigIsAClearError() {
        assertThatThrownBy(() -> ModelSpec.forFolder(tmp))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(tmp.toString())
                .hasMessageContaining("config.json");
    }

    @Test
    void idFromNameNeverProducesAnIllegalId() {
        for (String name : List.of("TinyLlama-1.1B", "..", "", "a b c", "x".repeat(200))) {
            String id = ModelSpec.idFromName(name);
            assertThat(ModelSpec.builder().setId(id).setFamily(Family.LLAMA).optLocalDir(tmp).build().id())
                    .isEqualTo(id);
        }
        assertThat(ModelSpec.idFromName("TinyLlama-1.1B")).isEqualTo("tinyllama-1.1b");
    }
}
