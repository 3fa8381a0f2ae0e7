package dev.billionllm.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registry sources (ServiceLoader, spec files, code), lookups and duplicate handling. */
class ModelRegistryTest {

    @TempDir
    Path tmp;

    private static final String USER_SPEC = "{\"id\": \"user-llama\", \"repo_id\": \"someone/user-llama-1b\","
            + " \"family\": \"llama\", \"licence\": \"mit\", \"parameter_count\": 1000000000,"
            + " \"generation\": {\"temperature\": 0.5}}";

    private ModelRegistry load(Map<String, String> env) {
        return ModelRegistry.load(env, tmp.resolve("home").toString(), getClass().getClassLoader());
    }

    @Test
    void loadFindsSeedAndTestProvidersThroughServiceLoader() {
        ModelRegistry registry = load(Map.of());
        assertThat(registry.ids()).contains("tinyllama", "llama-3.2-1b", "stablelm-2-1.6b", "pythia-1b",
                "test-provider-model");
        assertThat(registry.get("test-provider-model")).isEqualTo(TestSpecProvider.SPEC);
        assertThat(ModelRegistry.load().find("tinyllama")).contains(SeedSpecs.TINYLLAMA);
    }

    @Test
    void specsDirFromEnvironmentIsLoaded() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("specs"));
        Files.writeString(dir.resolve("mine.json"), USER_SPEC);
        Files.writeString(dir.resolve("ignored.txt"), "not a spec");
        ModelRegistry registry = load(Map.of(ModelRegistry.SPECS_DIR_ENV, dir.toString()));
        ModelSpec s = registry.get("user-llama");
        assertThat(s.licence()).isEqualTo("mit");
        assertThat(s.parameterCount()).isEqualTo(1_000_000_000L);
        assertThat(s.generationDefaults().temperature().getAsDouble()).isEqualTo(0.5);
    }

    @Test
    void defaultUserFolderIsLoadedWhenPresentAndSkippedWhenNot() throws IOException {
        assertThat(load(Map.of()).find("user-llama")).isEmpty();
        Path dir = ModelRegistry.defaultUserSpecsDir(tmp.resolve("home").toString());
        assertThat(dir.endsWith(Path.of(".config", "billion-llm", "specs"))).isTrue();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("a.json"), "[" + USER_SPEC + "]");
        assertThat(load(Map.of()).find("user-llama")).isPresent();
    }

    @Test
    void missingExplicitSpecsDirIsAnError() {
        Path missing = tmp.resolve("nope");
        assertThatThrownBy(() -> load(Map.of(ModelRegistry.SPECS_DIR_ENV, missing.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(ModelRegistry.SPECS_DIR_ENV)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void duplicateIdsAreRejectedNamingBothSources() throws IOException {
        ModelRegistry registry = load(Map.of());
        ModelSpec clash = SeedSpecs.PYTHIA_1B.toBuilder().setRepoId("someone/other").build();
        assertThatThrownBy(() -> registry.register(clash))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("duplicate model id \"pythia-1b\"")
                .hasMessageContaining("provider " + SeedSpecs.class.getName())
                .hasMessageContaining("register()");

        Path dir = Files.createDirectory(tmp.resolve("specs"));
        Files.writeString(dir.resolve("a.json"), USER_SPEC);
        Files.writeString(dir.resolve("b.json"), USER_SPEC);
        assertThatThrownBy(() -> load(Map.of(ModelRegistry.SPECS_DIR_ENV, dir.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("user-llama")
                .hasMessageContaining(dir.resolve("a.json").toString())
                .hasMessageContaining(dir.resolve("b.json").toString());
    }

    @Test
    void lookupsByIdAndRepoId() {
        ModelRegistry registry = load(Map.of());
        assertThat(registry.find("llama-3.2-1b")).contains(SeedSpecs.LLAMA_3_2_1B);
        assertThat(registry.find("meta-llama/Llama-3.2-1B-Instruct")).contains(SeedSpecs.LLAMA_3_2_1B);
        assertThat(registry.findByRepoId("eleutherai/PYTHIA-1b")).contains(SeedSpecs.PYTHIA_1B);
        assertThat(registry.find("nobody/nothing")).isEmpty();
        assertThat(registry.find("gpt-17")).isEmpty();
        assertThatThrownBy(() -> registry.get("gpt-17"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gpt-17")
                .hasMessageContaining("tinyllama, llama-3.2-1b, stablelm-2-1.6b, pythia-1b");
    }

    @Test
    void twoSpecsForOneRepoMakeRepoLookupAmbiguous() {
        ModelRegistry registry = new ModelRegistry().register(SeedSpecs.TINYLLAMA)
                .register(SeedSpecs.TINYLLAMA.toBuilder().setId("tinyllama-pinned").optRevision("abc123").build());
        assertThat(registry.get("tinyllama-pinned").revision()).isEqualTo("abc123");
        assertThatThrownBy(() -> registry.findByRepoId("TinyLlama/TinyLlama-1.1B-Chat-v1.0"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tinyllama@main")
                .hasMessageContaining("tinyllama-pinned@abc123");
    }

    @Test
    void registerInCodeAndDescribeALocalFolder() {
        ModelRegistry registry = new ModelRegistry();
        assertThat(registry.specs()).isEmpty();
        ModelSpec mine = ModelSpec.builder().setId("mine").setRepoId("me/mine").setFamily(Family.STABLELM).build();
        registry.register(mine);
        assertThat(registry.specs()).containsExactly(mine);
        assertThat(registry.get("mine")).isEqualTo(mine);

        Path folder = Fixtures.dir("tiny-llama32");
        ModelSpec local = ModelSpec.forFolder(folder);
        assertThat(local.family()).isEqualTo(Family.LLAMA);
        assertThat(local.localDir()).contains(folder.toAbsolutePath().normalize());
        assertThatThrownBy(() -> registry.get(tmp.toString()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("known ids: mine");
    }

    @Test
    void brokenProviderIsAClearError() throws IOException {
        // A services file naming a class that does not exist, on a throw-away class path.
        Path root = tmp.resolve("cp");
        Path services = Files.createDirectories(root.resolve("META-INF/services"));
        Files.writeString(services.resolve(ModelSpecProvider.class.getName()), "com.example.Missing\n");
        try (var loader = new java.net.URLClassLoader(new java.net.URL[] {root.toUri().toURL()},
                getClass().getClassLoader())) {
            assertThatThrownBy(() -> new ModelRegistry().registerProviders(loader))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("com.example.Missing");
        }
    }
}
