package dev.billionllm.core.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.testing.Fixtures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The blob lock excludes another process, not only other threads. */
class BlobLockProcessTest {

    static final long HOLD_MILLIS = 1500;

    @TempDir
    Path tmp;

    /** Child process: holds the lock file given as args[0] for args[1] ms. */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Files.createDirectories(file.getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = ch.lock()) {
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.parseLong(args[1]));
        }
    }

    @Test
    void downloadWaitsForAnotherProcessHoldingTheBlobLock() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            FakeHub.Repo repo = hub.add(HubClientTest.tinyRepo(HubClientTest.REPO, HubClientTest.COMMIT,
                    Fixtures.dir("tiny-tinyllama")));
            String sha = FakeHub.sha256(repo.files.get("model.safetensors"));
            Path cacheDir = tmp.resolve("hub");
            Path lockFile = cacheDir.resolve(".locks/models--Fixture--tiny-tinyllama").resolve(sha + ".lock");

            String java = ProcessHandle.current().info().command().orElse("java");
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    BlobLockProcessTest.class.getName(), lockFile.toString(), String.valueOf(HOLD_MILLIS))
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).isEqualTo("locked");
                long start = System.nanoTime();
                HubOptions options = HubOptions.builder().optEndpoint(hub.endpoint()).optCacheDir(cacheDir)
                        .optQuiet(true).optMaxRetries(0).build();
                Path snapshot = new HubClient(options).download(HubClientTest.REPO);
                Duration waited = Duration.ofNanos(System.nanoTime() - start);

                // the other process held the lock, so this one could not write the blob meanwhile
                assertThat(waited).isGreaterThan(Duration.ofMillis(HOLD_MILLIS / 2));
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors")))
                        .isEqualTo(repo.files.get("model.safetensors"));
            } finally {
                child.destroy();
            }
        }
    }
}
