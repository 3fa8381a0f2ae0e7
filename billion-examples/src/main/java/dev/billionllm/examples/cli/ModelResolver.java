package dev.billionllm.examples.cli;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.spec.ModelRegistry;
import dev.billionllm.core.spec.ModelSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns what the user typed after {@code --model} into a model folder: a local folder, a bundled
 * small model, or a registered spec whose files are on disk. Never touches the network; a spec
 * that is not downloaded yet gets an error that says how to download it.
 */
public final class ModelResolver {
    /** The bundled model used when {@code --model} is not given. */
    static final String DEFAULT_BUNDLED = "tiny-tinyllama";
    /** Environment variable of the folder holding bundled models (set by the launcher). */
    static final String MODELS_DIR_ENV = "BILLION_MODELS_DIR";

    private ModelResolver() {}

    /**
     * The folder {@code reference} names: a path, a bundled model, or a spec on disk.
     *
     * @param err where to say that a bundled model stands in (may be null)
     * @throws ConfigException naming what was tried, or how to download a known spec
     */
    public static Path resolve(String reference, PrintWriter err) {
        Path asPath = Path.of(reference);
        if (Files.isDirectory(asPath)) {
            return asPath;
        }
        Optional<Path> bundled = bundled(reference);
        if (bundled.isPresent()) {
            if (err != null) {
                err.println("[using the bundled small model '" + reference
                        + "' (offline, toy-corpus training); pick another with --model]");
            }
            return bundled.get();
        }
        ModelRegistry registry = ModelRegistry.load();
        Optional<ModelSpec> spec = registry.find(reference);
        if (spec.isPresent()) {
            Optional<Path> local = spec.get().localDir().filter(Files::isDirectory);
            if (local.isPresent()) {
                return local.get();
            }
            Optional<Path> cached = HubSnapshots.cached(spec.get());
            if (cached.isPresent()) {
                return cached.get();
            }
            throw new ConfigException("model '" + reference + "' (" + spec.get().repoId().orElse("no repo")
                    + ") is not downloaded; run: billion download " + spec.get().id());
        }
        throw new ConfigException("unknown model '" + reference + "': not a folder, a bundled model ("
                + String.join(", ", bundledNames()) + ") or a registered spec (" + String.join(", ", registry.ids())
                + ")");
    }

    /** The folder holding bundled models, if any. */
    static Optional<Path> bundledRoot() {
        String env = System.getenv(MODELS_DIR_ENV);
        List<Path> candidates = new ArrayList<>();
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        String root = System.getProperty("billion.root");
        if (root != null) {
            candidates.add(Path.of(root, "testdata"));
        }
        candidates.add(Path.of("testdata"));
        return candidates.stream().filter(Files::isDirectory).findFirst();
    }

    static Optional<Path> bundled(String name) {
        if (name.contains("..")) {
            return Optional.empty();
        }
        return bundledRoot().flatMap(root -> {
            for (Path p : List.of(root.resolve(name), root.resolve("small-llama-pair").resolve(name))) {
                if (Files.isRegularFile(p.resolve("config.json"))) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        });
    }

    /** Names of the bundled models that have a config.json. */
    static List<String> bundledNames() {
        Optional<Path> root = bundledRoot();
        List<String> names = new ArrayList<>();
        if (root.isEmpty()) {
            return names;
        }
        try (Stream<Path> s = Files.walk(root.get(), 2)) {
            s.filter(p -> Files.isRegularFile(p.resolve("config.json")))
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .forEach(names::add);
        } catch (IOException e) {
            // An unreadable bundle folder just lists nothing.
        }
        return names;
    }
}
