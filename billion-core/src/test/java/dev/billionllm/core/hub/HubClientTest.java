package dev.billionllm.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.hub.FakeHub.Repo;
import dev.billionllm.core.hub.HubException.Reason;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.SafetensorsSource;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against {@link FakeHub}: cache layout, resume, verification, retries, cache hits. */
class HubClientTest {

    static final String REPO = "Fixture/tiny-tinyllama";
    static final String COMMIT = "3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a098";
    static final List<String> DOWNLOADED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "model.safetensors");

    @TempDir
    Path tmp;
    FakeHub hub;
    Repo tiny;
    Path fixture;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        fixture = Fixtures.dir("tiny-tinyllama");
        tiny = hub.add(tinyRepo(REPO, COMMIT, fixture));
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    static Repo tinyRepo(String id, String commit, Path fixture) throws IOException {
        byte[] pickle = new byte[4096];
        new Random(7).nextBytes(pickle);
        return new Repo(id, commit)
                .file("config.json", Files.readAllBytes(fixture.resolve("config.json")))
                .file("generation_config.json", Files.readAllBytes(fixture.resolve("generation_config.json")))
                .file("tokenizer.json", Files.readAllBytes(fixture.resolve("tokenizer.json")))
                .file("tokenizer_config.json", Files.readAllBytes(fixture.resolve("tokenizer_config.json")))
                .lfsFile("model.safetensors", Files.readAllBytes(fixture.resolve("model.safetensors")))
                .lfsFile("pytorch_model.bin", pickle)
                .file("README.md", "# tiny\n".getBytes(StandardCharsets.UTF_8))
                .file("extra/nested/info.json", "{\"nested\":true}".getBytes(StandardCharsets.UTF_8));
    }

    HubOptions.Builder options() {
        return HubOptions.builder()
                .optEndpoint(hub.endpoint())
                .optCacheDir(tmp.resolve("hub"))
                .optQuiet(true)
                .optMaxRetries(0)
                .optInitialBackoff(Duration.ofMillis(10))
                .optReadTimeout(Duration.ofSeconds(5));
    }

    Path repoDir() {
        return tmp.resolve("hub").resolve("models--Fixture--tiny-tinyllama");
    }

    static String etagOf(Repo repo, String file) {
        byte[] content = repo.files.get(file);
        return repo.lfs.contains(file) ? FakeHub.sha256(content) : FakeHub.gitSha1(content);
    }

    @Test
    void fullSnapshotLandsInThePythonLayoutAndLoads() throws IOException {
        Path snapshot = new HubClient(options().optToken("hf_public_token").build()).download(REPO);

        assertThat(snapshot).isEqualTo(repoDir().resolve("snapshots").resolve(COMMIT));
        // refs/main holds the bare commit, no newline, as huggingface_hub writes it
        assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(COMMIT);
        for (String file : DOWNLOADED) {
            Path pointer = snapshot.resolve(file);
            String etag = etagOf(tiny, file);
            assertThat(Files.isSymbolicLink(pointer)).as(file).isTrue();
            assertThat(Files.readSymbolicLink(pointer)).isEqualTo(Path.of("../../blobs/" + etag));
            assertThat(Files.readAllBytes(repoDir().resolve("blobs").resolve(etag))).isEqualTo(tiny.files.get(file));
            assertThat(Files.readAllBytes(pointer)).isEqualTo(Files.readAllBytes(fixture.resolve(file)));
        }
        // the filter: no pickles, no README, nothing else
        try (Stream<Path> s = Files.list(snapshot)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(DOWNLOADED);
        }
        try (Stream<Path> s = Files.list(repoDir().resolve("blobs"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".incomplete"));
        }
        // names the filter wanted that the commit lacks are recorded like huggingface_hub's 404 cache
        for (String absent : List.of("special_tokens_map.json", "tokenizer.model", "chat_template.jinja",
                "model.safetensors.index.json")) {
            assertThat(repoDir().resolve(".no_exist").resolve(COMMIT).resolve(absent)).isRegularFile();
        }
        assertThat(tmp.resolve("hub/.locks/models--Fixture--tiny-tinyllama")
                .resolve(FakeHub.sha256(tiny.files.get("model.safetensors")) + ".lock")).exists();

        // loads through the core loaders
        assertThat(ModelConfigParser.parse(snapshot)).isEqualTo(ModelConfigParser.parse(fixture));
        try (SafetensorsSource got = Safetensors.open(snapshot); SafetensorsSource want = Safetensors.open(fixture)) {
            assertThat(got.names()).isNotEmpty().isEqualTo(want.names());
        }

        // the token goes to the Hub and never to the CDN host the LFS file was redirected to
        assertThat(hub.requests("hub")).allMatch(r -> "Bearer hf_public_token".equals(r.authorization()));
        assertThat(hub.requests("cdn")).isNotEmpty().allMatch(r -> r.authorization() == null);
        // metadata by HEAD, then one GET per file
        assertThat(hub.requests("hub").stream().filter(r -> r.method().equals("HEAD"))).hasSize(DOWNLOADED.size());
    }

    @Test
    void secondCallIsACacheHitWithoutNetwork() {
        HubClient client = new HubClient(options().build());
        Path first = client.download(REPO);
        int before = hub.count();
        assertThat(before).isGreaterThan(0);

        assertThat(client.download(REPO)).isEqualTo(first);
        assertThat(new HubClient(options().build()).download(REPO)).isEqualTo(first);
        assertThat(hub.count()).isEqualTo(before);

        // refresh asks the Hub for the commit again but downloads nothing
        client.download(DownloadRequest.builder(REPO).optRefresh(true).build());
        assertThat(hub.requests.subList(before, hub.count())).extracting(FakeHub.Request::path)
                .containsExactly("/api/models/Fixture/tiny-tinyllama/revision/main");
    }

    @Test
    void allFilesTakesEverythingButPicklesUnlessAskedFor() throws IOException {
        tiny.file(".gitattributes", new byte[0]);
        HubClient client = new HubClient(options().build());
        Path snapshot = client.download(DownloadRequest.builder(REPO).optFilter(FileFilter.all()).build());
        assertThat(snapshot.resolve("README.md")).isRegularFile();
        assertThat(snapshot.resolve(".gitattributes")).isRegularFile().isEmptyFile();
        assertThat(snapshot.resolve("pytorch_model.bin")).doesNotExist();
        Path nested = snapshot.resolve("extra/nested/info.json");
        String etag = etagOf(tiny, "extra/nested/info.json");
        assertThat(Files.readSymbolicLink(nested)).isEqualTo(Path.of("../../../../blobs/" + etag));
        assertThat(Files.readString(nested)).isEqualTo("{\"nested\":true}");

        client.download(DownloadRequest.builder(REPO).optFilter(FileFilter.of("*.bin")).build());
        assertThat(Files.readAllBytes(snapshot.resolve("pytorch_model.bin"))).isEqualTo(tiny.files.get("pytorch_model.bin"));
    }

    @Test
    void droppedConnectionResumesWithRangeOnTheNextCall() throws IOException {
        hub.dropFile = "model.safetensors";
        hub.dropAfterBytes = 300_000;
        hub.dropsLeft.set(1);
        HubClient client = new HubClient(options().build());
        String sha = FakeHub.sha256(tiny.files.get("model.safetensors"));

        assertThatThrownBy(() -> client.download(REPO)).isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.TRANSFER))
                .hasMessageContaining("model.safetensors");
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        long partial = Files.size(part);
        assertThat(partial).isPositive().isLessThanOrEqualTo(300_000);
        assertThat(repoDir().resolve("blobs").resolve(sha)).doesNotExist();

        int before = hub.count();
        Path snapshot = client.download(REPO);
        List<FakeHub.Request> cdnGets = hub.requests.subList(before, hub.count()).stream()
                .filter(r -> r.server().equals("cdn")).toList();
        assertThat(cdnGets).hasSize(1);
        assertThat(cdnGets.get(0).range()).isEqualTo("bytes=" + partial + "-");
        assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors"))).isEqualTo(tiny.files.get("model.safetensors"));
        assertThat(part).doesNotExist();
    }

    @Test
    void retriesResumeWithinOneCall() throws IOException {
        hub.dropFile = "model.safetensors";
        hub.dropAfterBytes = 100_000;
        hub.dropsLeft.set(2);
        Path snapshot = new HubClient(options().optMaxRetries(3).build()).download(REPO);
        assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors"))).isEqualTo(tiny.files.get("model.safetensors"));
        assertThat(hub.requests("cdn")).hasSize(3);
        assertThat(hub.requests("cdn").get(1).range()).startsWith("bytes=").isNotEqualTo("bytes=0-");
    }

    @Test
    void fullResponseToARangeRequestRestartsCleanly() throws IOException {
        hub.dropFile = "model.safetensors";
        hub.dropAfterBytes = 200_000;
        hub.dropsLeft.set(1);
        HubClient client = new HubClient(options().build());
        assertThatThrownBy(() -> client.download(REPO)).isInstanceOf(HubException.class);

        hub.ignoreRange = true; // answers 200 with the whole file: appending would corrupt it
        Path snapshot = client.download(REPO);
        assertThat(hub.requests("cdn").get(hub.requests("cdn").size() - 1).range()).isNotNull();
        assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors"))).isEqualTo(tiny.files.get("model.safetensors"));
    }

    @Test
    void corruptContentFailsTheSha256CheckAndIsNeverUsed() throws IOException {
        hub.corruptFile = "model.safetensors";
        HubClient client = new HubClient(options().build());
        String sha = FakeHub.sha256(tiny.files.get("model.safetensors"));

        assertThatThrownBy(() -> client.download(REPO)).isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.CORRUPT_DOWNLOAD))
                .hasMessageContaining("sha256 mismatch").hasMessageContaining(sha);
        assertThat(repoDir().resolve("blobs").resolve(sha)).doesNotExist();
        assertThat(repoDir().resolve("blobs").resolve(sha + ".incomplete")).doesNotExist();
        assertThat(repoDir().resolve("snapshots").resolve(COMMIT).resolve("model.safetensors")).doesNotExist();
        // offline, the half-finished snapshot is reported, not returned
        assertThatThrownBy(() -> new HubClient(options().optOffline(true).build()).download(REPO))
                .hasMessageContaining("model.safetensors");

        hub.corruptFile = null;
        Path snapshot = client.download(REPO);
        assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors"))).isEqualTo(tiny.files.get("model.safetensors"));
    }

    @Test
    void serverErrorsAreRetriedWithBackoffAndThenReported() {
        hub.serverErrorsLeft.set(2);
        assertThat(new HubClient(options().optMaxRetries(3).build()).download(REPO)).isDirectory();

        hub.serverErrorsLeft.set(10);
        HubClient impatient = new HubClient(options().optCacheDir(tmp.resolve("other")).optMaxRetries(1).build());
        assertThatThrownBy(() -> impatient.download(REPO)).isInstanceOf(HubException.class)
                .hasMessageContaining("503").hasMessageContaining("after 2 attempts");
    }

    @Test
    void stalledTransferTimesOutAndIsRetried() throws IOException {
        hub.stallsLeft.set(1);
        HubOptions opts = options().optReadTimeout(Duration.ofMillis(400)).optMaxRetries(2).build();
        long start = System.nanoTime();
        Path snapshot = new HubClient(opts).download(REPO);
        assertThat(Files.readAllBytes(snapshot.resolve("config.json"))).isEqualTo(tiny.files.get("config.json"));
        // the first body stopped half-way; the watchdog gave up after 0.4 s (the server hangs for
        // 20 s) and the retry resumed where the bytes stopped. The bound is half the stall, not a
        // speed target: only a client that waited for the server could take that long.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(FakeHub.STALL_MILLIS / 2));
        assertThat(hub.requests("hub")).filteredOn(r -> r.method().equals("GET") && r.path().endsWith("/config.json"))
                .extracting(FakeHub.Request::range).containsExactly(null, "bytes=" + tiny.files.get("config.json").length / 2 + "-");
    }

    @Test
    void offlineModeReadsOnlyTheCache() {
        HubClient offline = new HubClient(options().optOffline(true).build());
        assertThatThrownBy(() -> offline.download(REPO)).isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.NOT_IN_CACHE))
                .hasMessageContaining("HF_HUB_OFFLINE").hasMessageContaining(REPO);
        assertThat(hub.count()).isZero();

        Path online = new HubClient(options().build()).download(REPO);
        int before = hub.count();
        assertThat(offline.download(REPO)).isEqualTo(online);
        assertThat(offline.downloadFile(REPO, "main", "config.json")).isEqualTo(online.resolve("config.json"));
        assertThatThrownBy(() -> offline.downloadFile(REPO, "main", "README.md"))
                .hasMessageContaining("README.md");
        assertThat(hub.count()).isEqualTo(before);
    }

    @Test
    void offlineReportsAMissingFileByName() throws IOException {
        Path snapshot = new HubClient(options().build()).download(REPO);
        Files.delete(snapshot.resolve("config.json"));
        assertThatThrownBy(() -> new HubClient(options().optOffline(true).build()).download(REPO))
                .isInstanceOf(HubException.class).hasMessageContaining("config.json");
    }

    @Test
    void cacheBuiltInThePythonLayoutIsFoundAndUsed() throws IOException {
        // What huggingface_hub leaves after snapshot_download(allow_patterns=[...]): blobs, relative
        // links, refs/main, and no .no_exist markers.
        Path repoDir = repoDir();
        Path snap = repoDir.resolve("snapshots").resolve(COMMIT);
        Files.createDirectories(snap);
        Files.createDirectories(repoDir.resolve("blobs"));
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), COMMIT);
        for (String file : DOWNLOADED) {
            String etag = etagOf(tiny, file);
            Files.write(repoDir.resolve("blobs").resolve(etag), tiny.files.get(file));
            Files.createSymbolicLink(snap.resolve(file), Path.of("../../blobs", etag));
        }

        Path offline = new HubClient(options().optOffline(true).build()).download(REPO);
        assertThat(offline).isEqualTo(snap);
        assertThat(ModelConfigParser.parse(offline)).isEqualTo(ModelConfigParser.parse(fixture));
        assertThat(hub.count()).isZero();

        // Online, the listing is fetched once (the cache cannot say which optional files exist),
        // but no file is transferred again.
        Path online = new HubClient(options().build()).download(REPO);
        assertThat(online).isEqualTo(snap);
        assertThat(hub.requests).extracting(FakeHub.Request::path)
                .containsExactly("/api/models/Fixture/tiny-tinyllama/revision/main");
    }

    @Test
    void copiesWhenLinksAreImpossible() throws IOException {
        HubOptions opts = options().build();
        Path snapshot = new HubClient(opts, dev.billionllm.core.spec.ModelRegistry::new, new HubCache(opts.cacheDir(), false)).download(REPO);
        Path config = snapshot.resolve("config.json");
        assertThat(Files.isSymbolicLink(config)).isFalse();
        assertThat(Files.readAllBytes(config)).isEqualTo(tiny.files.get("config.json"));
        assertThat(repoDir().resolve("blobs").resolve(etagOf(tiny, "config.json"))).isRegularFile();
    }

    @Test
    void shardedWeightsAreCompleteOnlyWithEveryShard() throws IOException {
        String commit = "0123456789abcdef0123456789abcdef01234567";
        byte[] a = "shard-one".getBytes(StandardCharsets.UTF_8);
        byte[] b = "shard-two".getBytes(StandardCharsets.UTF_8);
        String index = "{\"metadata\":{},\"weight_map\":{\"x\":\"model-00001-of-00002.safetensors\","
                + "\"y\":\"model-00002-of-00002.safetensors\"}}";
        hub.add(new Repo("Org/sharded", commit)
                .file("config.json", "{}".getBytes(StandardCharsets.UTF_8))
                .file("model.safetensors.index.json", index.getBytes(StandardCharsets.UTF_8))
                .lfsFile("model-00001-of-00002.safetensors", a)
                .lfsFile("model-00002-of-00002.safetensors", b));
        HubClient client = new HubClient(options().build());
        Path snapshot = client.download("Org/sharded");
        int before = hub.count();
        client.download("Org/sharded");
        assertThat(hub.count()).isEqualTo(before);

        // A lost link to a blob still in the cache is relinked without a transfer...
        Path shard = snapshot.resolve("model-00002-of-00002.safetensors");
        Path blob = shard.resolveSibling(Files.readSymbolicLink(shard)).normalize();
        Files.delete(shard);
        client.download("Org/sharded");
        assertThat(hub.requests.subList(before, hub.count())).extracting(FakeHub.Request::method)
                .containsExactly("GET", "HEAD"); // listing, metadata
        // ...and a lost blob is transferred again.
        before = hub.count();
        Files.delete(blob);
        client.download("Org/sharded");
        assertThat(hub.requests.subList(before, hub.count())).extracting(FakeHub.Request::method)
                .containsExactly("GET", "HEAD", "GET"); // listing, metadata, the CDN transfer
        assertThat(Files.readAllBytes(snapshot.resolve("model-00002-of-00002.safetensors"))).isEqualTo(b);
    }

    @Test
    void concurrentDownloadsOfOneBlobTransferItOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            HubClient client = new HubClient(options().build());
            List<Future<Path>> results = pool.invokeAll(List.of(
                    () -> client.download(REPO), () -> client.download(REPO), () -> client.download(REPO)));
            for (Future<Path> f : results) {
                assertThat(Files.readAllBytes(f.get().resolve("model.safetensors")))
                        .isEqualTo(tiny.files.get("model.safetensors"));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(hub.requests("cdn")).hasSize(1);
    }

    @Test
    void specIdsResolveThroughTheRegistry() {
        var specs = new dev.billionllm.core.spec.ModelRegistry().register(dev.billionllm.core.spec.ModelSpec.builder()
                .setId("tinyllama").setRepoId(REPO).setFamily(dev.billionllm.core.config.Family.LLAMA)
                .optRevision(COMMIT).build());
        Path snapshot = new HubClient(options().build(), specs).download("tinyllama");
        assertThat(snapshot).isEqualTo(repoDir().resolve("snapshots").resolve(COMMIT));
        // pinned to a commit: no refs/ entry is needed, as in huggingface_hub
        assertThat(repoDir().resolve("refs/main")).doesNotExist();
    }

    @Test
    void renamedRepoIsFollowedThroughRelativeRedirects() {
        hub.renamed.put("Old/tiny", REPO);
        Path snapshot = new HubClient(options().build()).download("Old/tiny");
        assertThat(snapshot).isEqualTo(tmp.resolve("hub/models--Old--tiny/snapshots").resolve(COMMIT));
        assertThat(snapshot.resolve("config.json")).isRegularFile();
    }

    @Test
    void missingRepoRevisionAndFileHaveClearErrors() {
        HubClient client = new HubClient(options().build());
        assertThatThrownBy(() -> client.download("Nobody/nothing")).isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.REPO_NOT_FOUND))
                .hasMessageContaining("Nobody/nothing").hasMessageContaining("not found");
        assertThatThrownBy(() -> client.download(DownloadRequest.builder(REPO).optRevision("v9").build()))
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.REVISION_NOT_FOUND))
                .hasMessageContaining("\"v9\"");
        assertThatThrownBy(() -> client.downloadFile(REPO, "main", "absent.json"))
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.ENTRY_NOT_FOUND))
                .hasMessageContaining("absent.json");
    }

    @Test
    void progressBarsGoToStderrUnlessQuiet() throws IOException {
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            new HubClient(options().optQuiet(false).build()).download(REPO);
            new HubClient(options().optCacheDir(tmp.resolve("quiet")).build()).downloadFile(REPO, "main", "README.md");
        } finally {
            System.setErr(oldErr);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("model.safetensors").contains("tokenizer.json").doesNotContain("README.md");
    }

    @Test
    void specRegistryResolvesIdsAndPinsRevisions() {
        var registry = new dev.billionllm.core.spec.ModelRegistry().register(dev.billionllm.core.spec.ModelSpec.builder()
                .setId("tiny-test").setRepoId(REPO).setFamily(dev.billionllm.core.config.Family.LLAMA)
                .optRevision(COMMIT).build());
        HubClient client = new HubClient(options().build(), registry);
        assertThat(client.download("tiny-test")).isEqualTo(repoDir().resolve("snapshots").resolve(COMMIT));
        // the repo id of a registered spec gets the spec's pinned revision too
        assertThat(client.download(REPO)).isEqualTo(repoDir().resolve("snapshots").resolve(COMMIT));
        assertThat(repoDir().resolve("refs/main")).doesNotExist();
        // an unknown bare id: the Hub says no, and the message lists the ids that exist
        assertThatThrownBy(() -> client.download("tinyllamma"))
                .hasMessageContaining("not found").hasMessageContaining("known ids: tiny-test");
        assertThatThrownBy(() -> client.download("not a/valid id"))
                .hasMessageContaining("known ids: tiny-test");
    }

    @Test
    void seedSpecsPointAtTheRealRepos() {
        assertThat(dev.billionllm.core.spec.ModelRegistry.load().get("tinyllama").repoId())
                .contains("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
    }
}
