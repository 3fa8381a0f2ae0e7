package dev.billionllm.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.config.Family;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** JSON spec files: one spec or a list, every key, and errors that name file, spec and field. */
class ModelSpecsTest {

    @TempDir
    Path tmp;

    @Test
    void fullSpecObjectReadsEveryKey() throws IOException {
        Path file = write("{\"id\": \"my-llama\", \"repo_id\": \"my-org/my-llama-1b\", \"revision\": \"v1.0\","
                + " \"family\": \"llama\", \"gated\": true, \"licence\": \"apache-2.0\","
                + " \"parameter_count\": 1100048384, \"has_chat_template\": true, \"description\": \"mine\","
                + " \"local_dir\": \"models/my-llama\","
                + " \"generation\": {\"do_sample\": true, \"temperature\": 0.7, \"top_p\": 0.95, \"eos_token_id\": [2, 3]}}");
        List<ModelSpec> specs = ModelSpecs.fromJson(file);
        assertThat(specs).hasSize(1);
        ModelSpec s = specs.get(0);
        assertThat(s.id()).isEqualTo("my-llama");
        assertThat(s.repoId()).contains("my-org/my-llama-1b");
        assertThat(s.revision()).isEqualTo("v1.0");
        assertThat(s.family()).isEqualTo(Family.LLAMA);
        assertThat(s.gated()).isTrue();
        assertThat(s.licence()).isEqualTo("apache-2.0");
        assertThat(s.parameterCount()).isEqualTo(1_100_048_384L);
        assertThat(s.hasChatTemplate()).isTrue();
        assertThat(s.description()).isEqualTo("mine");
        // local_dir is relative to the spec file's folder.
        assertThat(s.localDir()).contains(tmp.toAbsolutePath().resolve("models/my-llama"));
        assertThat(s.generationDefaults().eosTokenIds()).containsExactly(2, 3);
        assertThat(s.generationDefaults().topP().getAsDouble()).isEqualTo(0.95);
    }

    @Test
    void listOfSpecsKeepsOrderAndDefaults() throws IOException {
        Path file = write("[{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"stablelm\"},"
                + " {\"id\": \"b\", \"local_dir\": \"/models/b\", \"family\": \"gpt_neox\"}]");
        List<ModelSpec> specs = ModelSpecs.fromJson(file);
        assertThat(specs).extracting(ModelSpec::id).containsExactly("a", "b");
        assertThat(specs.get(0)).isEqualTo(ModelSpec.builder().setId("a").setRepoId("o/a")
                .setFamily(Family.STABLELM).build());
        assertThat(specs.get(1).localDir()).contains(Path.of("/models/b"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"id\": \"Bad Id\", \"repo_id\": \"o/a\", \"family\": \"llama\"}                     | \"id\"",
            "{\"id\": \"a\", \"repo_id\": \"no-slash\", \"family\": \"llama\"}                     | \"repo_id\"",
            "{\"id\": \"a\", \"repo_id\": \"o/a\"}                                                  | \"family\"",
            "{\"repo_id\": \"o/a\", \"family\": \"llama\"}                                          | \"id\"",
            "{\"id\": \"a\", \"family\": \"llama\"}                                                 | repo id",
            "{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"llama\", \"gated\": \"no\"}        | \"gated\"",
            "{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"llama\", \"parameter_count\": 1.5} | \"parameter_count\"",
            "{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"llama\", \"license\": \"mit\"}     | \"license\"",
            "{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"llama\", \"generation\": {\"top_p\": 3}} | \"top_p\"",
            "{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"llama\", \"generation\": 1}       | \"generation\"",
            "[{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"llama\"}, 7]                      | spec[1]",
            "{\"id\": \"a\", \"repo_id\": \"o/a\", \"family\": \"llama\"                            | invalid JSON",
            "\"just a string\"                                                                      | list of spec objects"})
    void badSpecFilesNameFileAndField(String json, String expected) throws IOException {
        Path file = write(json);
        assertThatThrownBy(() -> ModelSpecs.fromJson(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining(expected);
    }

    @Test
    void unsupportedFamilyListsTheSupportedOnes() throws IOException {
        Path file = write("{\"id\": \"m\", \"repo_id\": \"o/m\", \"family\": \"mistral\"}");
        assertThatThrownBy(() -> ModelSpecs.fromJson(file))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("llama, stablelm, gpt_neox");
    }

    @Test
    void missingFileIsNamed() {
        Path file = tmp.resolve("missing.json");
        assertThatThrownBy(() -> ModelSpecs.fromJson(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString());
    }

    private Path write(String json) throws IOException {
        Path file = Files.createTempFile(tmp, "spec", ".json");
        Files.writeString(file, json);
        return file;
    }
}
