package dev.billionllm.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.hub.HubException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Argument handling; Surefire sets HF_HUB_OFFLINE=1, so only the cache is read. */
class DownloadModelsTest {

    static final String COMMIT = "1111111111222222222233333333334444444444";

    @TempDir
    Path cache;

    @Test
    void findsASnapshotInTheCacheOffline() throws IOException {
        Path repo = cache.resolve("models--Org--tiny");
        Path snap = repo.resolve("snapshots").resolve(COMMIT);
        Files.createDirectories(snap);
        Files.createDirectories(repo.resolve("blobs"));
        Files.writeString(repo.resolve("blobs/abc"), "{}");
        Files.createSymbolicLink(snap.resolve("config.json"), Path.of("../../blobs/abc"));
        Files.writeString(snap.resolve("model.safetensors"), "not read here");
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT);

        List<Path> got = DownloadModels.run(new String[] {"--model", "Org/tiny", "--cache-dir", cache.toString(), "--quiet"});
        assertThat(got).containsExactly(snap.toAbsolutePath());
    }

    @Test
    void missingModelIsAClearOfflineError() {
        assertThatThrownBy(() -> DownloadModels.run(new String[] {"--model", "Org/absent", "--cache-dir", cache.toString()}))
                .isInstanceOf(HubException.class).hasMessageContaining("HF_HUB_OFFLINE").hasMessageContaining("Org/absent");
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> DownloadModels.run(new String[] {})).hasMessageContaining("--model is required");
        assertThatThrownBy(() -> DownloadModels.run(new String[] {"--model"})).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> DownloadModels.run(new String[] {"--model", "x/y", "--all", "--include", "*.bin"}))
                .hasMessageContaining("either --all or --include");
        assertThatThrownBy(() -> DownloadModels.run(new String[] {"--frobnicate"})).hasMessageContaining("unknown argument");
    }
}
