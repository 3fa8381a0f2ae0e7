package dev.billionllm.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.hub.FakeHub.Repo;
import dev.billionllm.core.hub.HubException.Reason;
import dev.billionllm.core.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Gated repos, the secrecy of the token, and names that would escape the cache. */
class HubSecurityTest {

    static final String GATED = "meta-llama/Gated-1B";
    static final String COMMIT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc";
    static final String SECRET = "hf_SecretTokenThatMustNeverLeak_4242";

    @TempDir
    Path tmp;
    FakeHub hub;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        Repo gated = HubClientTest.tinyRepo(GATED, COMMIT, Fixtures.dir("tiny-tinyllama"));
        gated.gatedToken = "hf_the_approved_token";
        hub.add(gated);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    HubOptions.Builder options() {
        return HubOptions.builder().optEndpoint(hub.endpoint()).optCacheDir(tmp.resolve("hub"))
                .optQuiet(true).optMaxRetries(0).optInitialBackoff(Duration.ofMillis(10));
    }

    @Test
    void gatedRepoGivesAnActionableMessageAndNeverShowsTheToken() throws IOException {
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, SECRET + "\n");
        // not quiet: progress output and logging are part of what must stay clean
        HubOptions opts = options().optTokenFile(tokenFile).optQuiet(false).build();
        assertThat(opts.hasToken()).isTrue();
        assertThat(opts.toString()).doesNotContain(SECRET);

        Capture capture = new Capture();
        HubException error;
        try {
            error = (HubException) catchThrowable(() -> new HubClient(opts).download(GATED));
            error.printStackTrace();
        } finally {
            capture.close();
        }
        assertThat(error.reason()).isEqualTo(Reason.GATED);
        assertThat(error.getMessage())
                .contains("accept the licence at " + hub.endpoint() + "/" + GATED)
                .contains("HF_TOKEN")
                .contains("A token was sent")
                .doesNotContain(SECRET);
        for (Throwable t = error; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t)).doesNotContain(SECRET);
        }
        assertThat(capture.text()).contains("the model is gated").doesNotContain(SECRET);
        // the token really was sent to the Hub (so the test would see a leak)
        assertThat(hub.requests("hub")).anyMatch(r -> ("Bearer " + SECRET).equals(r.authorization()));
    }

    @Test
    void gatedRepoWithoutTokenSaysSo() {
        assertThatThrownBy(() -> new HubClient(options().build()).download(GATED))
                .isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.GATED))
                .hasMessageContaining("HTTP 401").hasMessageContaining("No token was found")
                .hasMessageContaining(hub.endpoint() + "/" + GATED);
    }

    @Test
    void approvedTokenDownloadsAndStaysOnTheHubOrigin() throws IOException {
        Path snapshot = new HubClient(options().optToken("hf_the_approved_token").build()).download(GATED);
        assertThat(snapshot.resolve("model.safetensors")).isRegularFile();
        assertThat(hub.requests("cdn")).isNotEmpty().allMatch(r -> r.authorization() == null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../../evil.json", "/etc/evil.json", "dir\\..\\..\\evil.json", "a/../../evil.json",
            "./config.json", "a//b.json", "C:evil.json"})
    void repoFileNamesThatEscapeTheSnapshotAreRejected(String name) throws IOException {
        Repo repo = HubClientTest.tinyRepo("Evil/repo", COMMIT, Fixtures.dir("tiny-tinyllama"));
        repo.extraSiblings.add(name);
        hub.add(repo);
        HubClient client = new HubClient(options().build());
        assertThatThrownBy(() -> client.download(DownloadRequest.builder("Evil/repo").optFilter(FileFilter.all()).build()))
                .isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.INVALID_NAME))
                .hasMessageContaining("Refusing repo file name");
        assertThatThrownBy(() -> client.downloadFile("Fixture/x", "main", name))
                .isInstanceOf(HubException.class).hasMessageContaining("Refusing");
        try (Stream<Path> all = Files.walk(tmp)) {
            assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("evil"));
        }
        assertThat(hub.requests("cdn")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc", "a/b/c", "org--x/y", "org/..", "-org/x", "org/x.", "", "org/x y", "org/x%2F"})
    void malformedRepoIdsAreRejectedBeforeAnyRequest(String id) {
        assertThatThrownBy(() -> new HubClient(options().build()).download(id))
                .isInstanceOfAny(HubException.class, IllegalArgumentException.class);
        assertThat(hub.count()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../x", "main/../../x", "/main", "main/", ".hidden", "a b", "a\\b"})
    void malformedRevisionsAreRejectedBeforeAnyRequest(String revision) {
        assertThatThrownBy(() -> new HubClient(options().build())
                .download(DownloadRequest.builder("Fixture/x").optRevision(revision).build()))
                .isInstanceOf(HubException.class)
                .satisfies(e -> assertThat(((HubException) e).reason()).isEqualTo(Reason.INVALID_NAME));
        assertThat(hub.count()).isZero();
    }

    @Test
    void prRevisionsAreUrlEncodedAndStoredUnderRefs() {
        assertThat(HubNames.encodePath("refs/pr/1", false)).isEqualTo("refs%2Fpr%2F1");
        assertThat(HubNames.encodePath("dir/a b+c.json", true)).isEqualTo("dir/a%20b%2Bc.json");
        assertThat(HubNames.checkRevision("refs/pr/1")).isEqualTo("refs/pr/1");
    }

    @Test
    void etagsThatAreNotPlainNamesAreRejected() {
        assertThat(HubNames.normalizeEtag("W/\"abc123\"", "u")).isEqualTo("abc123");
        assertThat(HubNames.normalizeEtag("\"" + "a".repeat(64) + "\"", "u")).isEqualTo("a".repeat(64));
        assertThatThrownBy(() -> HubNames.normalizeEtag("\"../../x\"", "u")).isInstanceOf(HubException.class);
        assertThatThrownBy(() -> HubNames.normalizeEtag("\"\"", "u")).isInstanceOf(HubException.class);
    }

    private static Throwable catchThrowable(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            return t;
        }
        throw new AssertionError("expected an exception");
    }

    /** Captures System.out, System.err and every log record of the hub package. */
    private static final class Capture implements AutoCloseable {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final PrintStream oldOut = System.out;
        private final PrintStream oldErr = System.err;
        private final Logger logger = Logger.getLogger("dev.billionllm.core.hub");
        private final Level oldLevel = logger.getLevel();
        private final StringBuilder logs = new StringBuilder();
        private final Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logs.append(record.getMessage()).append(' ').append(List.of(
                        record.getParameters() == null ? new Object[0] : record.getParameters())).append('\n');
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };

        Capture() {
            PrintStream p = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            System.setOut(p);
            System.setErr(p);
            logger.setLevel(Level.ALL);
            logger.addHandler(handler);
        }

        String text() {
            return bytes.toString(StandardCharsets.UTF_8) + logs;
        }

        @Override
        public void close() {
            System.setOut(oldOut);
            System.setErr(oldErr);
            logger.removeHandler(handler);
            logger.setLevel(oldLevel);
        }
    }
}
