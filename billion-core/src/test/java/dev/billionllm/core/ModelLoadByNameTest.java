package dev.billionllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.hub.FakeHub;
import dev.billionllm.core.hub.HubClient;
import dev.billionllm.core.hub.HubOptions;
import dev.billionllm.core.spec.ModelSpec;
import dev.billionllm.core.spec.SeedSpecs;
import dev.billionllm.core.testing.ChildJvm;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Model#load(String, LoadOptions)} by spec id and by Hub repo id, before and after a
 * download from a fake Hub into a temporary Hugging Face cache. Loading itself never goes online.
 */
class ModelLoadByNameTest {
    private static final String COMMIT = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    private static final GenerationConfig GREEDY = GenerationConfig.builder().optMaxNewTokens(8).build();

    @TempDir
    Path tmp;
    FakeHub hub;
    LoadOptions options;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        Path fixture = Fixtures.dir("tiny-tinyllama");
        // The tiny fixture stands in for the real TinyLlama repo, and for a repo no spec names.
        hub.add(FakeHub.Repo.ofFolder(SeedSpecs.TINYLLAMA.repoId().orElseThrow(), COMMIT, fixture));
        hub.add(FakeHub.Repo.ofFolder("testorg/some-model", COMMIT, fixture));
        options = LoadOptions.builder().optHubCacheDir(tmp.resolve("hub")).optThreads(1).build();
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private HubClient client() {
        return new HubClient(HubOptions.builder().optEndpoint(hub.endpoint()).optCacheDir(tmp.resolve("hub"))
                .optQuiet(true).build());
    }

    private static List<Integer> greedy(Model m) {
        return m.generator().generate("the cat sat on", GREEDY).tokenIds();
    }

    @Test
    void specIdLoadsAfterADownloadAndSaysHowToDownloadBefore() {
        assertThatThrownBy(() -> Model.load("tinyllama", options))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not downloaded")
                .hasMessageContaining("billion download tinyllama")
                .hasMessageContaining("HubClient().download(\"tinyllama\")")
                .hasMessageContaining(tmp.resolve("hub").toString());
        client().download("tinyllama");
        int afterDownload = hub.requests.size();

        try (Model byId = Model.load("tinyllama", options);
                Model byRepo = Model.load("TinyLlama/TinyLlama-1.1B-Chat-v1.0", options);
                Model bySpec = Model.load(SeedSpecs.TINYLLAMA, options);
                Model fixture = Model.load(Fixtures.dir("tiny-tinyllama"))) {
            assertThat(byId.folder()).isEqualTo(tmp.resolve("hub/models--TinyLlama--TinyLlama-1.1B-Chat-v1.0/snapshots")
                    .resolve(COMMIT));
            assertThat(byRepo.folder()).isEqualTo(byId.folder());
            assertThat(greedy(byId)).isEqualTo(greedy(fixture)).isEqualTo(greedy(bySpec));
            // The spec's recommended settings fill what the folder's generation_config.json leaves unset.
            assertThat(byId.generationDefaults().topK()).hasValue(50);
            assertThat(byId.generationDefaults().eosTokenIds()).containsExactly(2);
            assertThat(fixture.generationDefaults().topK()).isEmpty();
        }
        assertThat(hub.requests).as("loading made no request").hasSize(afterDownload);
    }

    /** Literally {@code Model.load("tinyllama")}, in a JVM whose HF_HUB_CACHE is the download's cache. */
    @Test
    void plainLoadByIdReadsTheCacheTheEnvironmentNames() throws Exception {
        List<String> cp = ChildJvm.testClassPath(e -> true);
        Map<String, String> env = new HashMap<>();
        env.put("HF_HUB_CACHE", tmp.resolve("hub").toString());
        env.put("HF_HOME", null);
        env.put("HF_HUB_OFFLINE", "1");
        ChildJvm.Result before = ChildJvm.run(LoadByName.class.getName(), cp, env, "tinyllama");
        assertThat(before.code()).as(before.err()).isEqualTo(3);
        assertThat(before.out()).contains("billion download tinyllama");

        client().download("tinyllama");
        hub.close();

        ChildJvm.Result after = ChildJvm.run(LoadByName.class.getName(), cp, env, "tinyllama");
        assertThat(after.code()).as(after.err()).isZero();
        try (Model fixture = Model.load(Fixtures.dir("tiny-tinyllama"))) {
            assertThat(after.out()).contains("ids: " + greedy(fixture));
        }
    }

    /** Runs in the child JVM: {@code Model.load(args[0])} with no options at all. */
    public static final class LoadByName {
        public static void main(String[] args) {
            try (Model m = Model.load(args[0])) {
                System.out.println("ids: " + greedy(m));
            } catch (ConfigException e) {
                System.out.println(e.getMessage());
                System.exit(3);
            }
        }
    }

    @Test
    void hubRepoThatNoSpecNamesLoadsAfterADownload() {
        assertThatThrownBy(() -> Model.load("testorg/some-model", options))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("billion download testorg/some-model");

        Path snapshot = client().download("testorg/some-model");
        int requests = hub.requests.size();
        hub.close();

        try (Model m = Model.load("testorg/some-model", options)) {
            assertThat(m.folder()).isEqualTo(snapshot);
            assertThat(m.backend()).isEqualTo("pytorch");
            assertThat(greedy(m)).hasSize(8);
        }
        assertThat(hub.requests).hasSize(requests);
    }

    @Test
    void anUnregisteredSpecSaysHowToDownloadItsRepoAndRevision() {
        ModelSpec mine = ModelSpec.builder().setId("mine").setRepoId("me/mine").optRevision("v2")
                .setFamily(Family.LLAMA).build();
        assertThatThrownBy(() -> Model.load(mine, options))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("billion download me/mine --revision v2");
    }

    @Test
    void unknownNamesListWhatWasTried() {
        assertThatThrownBy(() -> Model.load("no-such-model", options))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown model 'no-such-model'")
                .hasMessageContaining("tinyllama")
                .hasMessageContaining("tiny-tinyllama");
    }

    @Test
    void bundledNamesAndFoldersLoadToo() {
        try (Model bundled = Model.load("tiny-tinyllama-onnx", options)) {
            assertThat(bundled.backend()).isEqualTo("onnxruntime");
            assertThat(bundled.folder()).isEqualTo(ModelResolver.fromEnvironment().resolve("tiny-tinyllama-onnx"));
        }
    }
}
