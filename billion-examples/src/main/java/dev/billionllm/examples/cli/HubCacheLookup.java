package dev.billionllm.examples.cli;

import dev.billionllm.core.spec.ModelSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds a spec's snapshot in the Hugging Face cache (the layout Python's huggingface_hub writes),
 * without any network call.
 */
final class HubCacheLookup {
    private HubCacheLookup() {}

    static Optional<Path> snapshot(ModelSpec spec) {
        if (spec.repoId().isEmpty()) {
            return Optional.empty();
        }
        Path repo = cacheRoot().resolve("models--" + spec.repoId().get().replace("/", "--"));
        try {
            Path ref = repo.resolve("refs").resolve(spec.revision());
            String commit = Files.isRegularFile(ref)
                    ? Files.readString(ref, StandardCharsets.UTF_8).trim() : spec.revision();
            Path snap = repo.resolve("snapshots").resolve(commit);
            return Files.isRegularFile(snap.resolve("config.json")) ? Optional.of(snap) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static Path cacheRoot() {
        String hubCache = System.getenv("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) {
            return Path.of(hubCache);
        }
        String home = System.getenv("HF_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home, "hub");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }
}
