package dev.billionllm.core;

import com.google.common.base.Suppliers;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.hub.DownloadRequest;
import dev.billionllm.core.hub.HubClient;
import dev.billionllm.core.hub.HubException;
import dev.billionllm.core.hub.HubOptions;
import dev.billionllm.core.spec.ModelRegistry;
import dev.billionllm.core.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns what a user names a model by into its folder on disk, without ever going online. This is
 * the one place that does it: {@link Model#load(String)}, the {@code billion} command line and the
 * benchmarks all come here. A reference is tried as, in order:
 * <ol>
 *   <li>a folder that exists;
 *   <li>a registered {@link ModelSpec} id or Hub repo id ({@link ModelRegistry}): its local folder,
 *       else its snapshot in the Hugging Face cache at the spec's revision;
 *   <li>any other Hub repo id ({@code org/name}): its {@code main} snapshot in the cache;
 *   <li>a bundled small model ({@code tiny-tinyllama}, ...) in {@value #MODELS_DIR_ENV}, which the
 *       {@code billion} launcher sets, or in {@code testdata/} of a source checkout.
 * </ol>
 * A model that is known but not downloaded gets an error that says how to download it
 * ({@code billion download ID} or {@link HubClient#download(String)}).
 *
 * <pre>{@code
 * ModelResolver resolver = ModelResolver.builder().optHubCacheDir(Path.of("/data/hf")).build();
 * Path folder = resolver.resolve("tinyllama");
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class ModelResolver {

    /** Environment variable naming the folder of bundled small models (set by the launcher). */
    public static final String MODELS_DIR_ENV = "BILLION_MODELS_DIR";

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");

    private final Supplier<ModelRegistry> registry;
    private final HubOptions hub;
    /** Offline, cache-only client; one per resolver (each client holds its own HTTP client). */
    private final Supplier<HubClient> hubClient;
    private final List<Path> bundledRoots;

    private ModelResolver(Builder b) {
        // Loaded on first use: a folder or repo id resolves even when a user spec file is broken.
        this.registry = b.registry != null ? () -> b.registry : Suppliers.memoize(ModelRegistry::load);
        HubOptions env = HubOptions.fromEnvironment();
        HubOptions.Builder hubOptions = env.toBuilder().optOffline(true).optQuiet(true);
        if (b.hubCacheDir != null) {
            hubOptions.optCacheDir(b.hubCacheDir);
        }
        this.hub = hubOptions.build();
        this.hubClient = Suppliers.memoize(() -> new HubClient(hub, registry.get()));
        this.bundledRoots = b.bundledDir != null ? List.of(b.bundledDir) : defaultBundledRoots();
    }

    /** The resolver with every default: registry, Hub cache and bundled models from the environment. */
    public static ModelResolver fromEnvironment() {
        return builder().build();
    }

    /** A builder with every option at its default. */
    public static Builder builder() {
        return new Builder();
    }

    private static List<Path> defaultBundledRoots() {
        List<Path> roots = new ArrayList<>();
        String env = System.getenv(MODELS_DIR_ENV);
        if (env != null && !env.isBlank()) {
            roots.add(Path.of(env));
        }
        String root = System.getProperty("billion.root");
        if (root != null) {
            roots.add(Path.of(root, "testdata"));
        }
        roots.add(Path.of("testdata"));
        return roots;
    }

    /** The spec registry consulted for ids. */
    public ModelRegistry registry() {
        return registry.get();
    }

    /**
     * The folder {@code reference} names (see the class comment for the order tried).
     *
     * @throws ConfigException when it is known but not downloaded (the message says how to
     *     download it) or not known at all (the message lists what was tried)
     */
    public Path resolve(String reference) {
        return locate(reference).folder();
    }

    /**
     * A model's folder and the registered spec it was found through, if any.
     *
     * @param folder the model folder
     * @param spec the spec, when the name was a spec id or a spec's Hub repo id
     */
    public record Located(Path folder, Optional<ModelSpec> spec) {
        public Located {
            Objects.requireNonNull(folder, "folder");
            Objects.requireNonNull(spec, "spec");
        }

        /** The folder's config.json, read through the spec's declared architecture when it has one. */
        public ModelConfig config() {
            return spec.isPresent() ? spec.get().config(folder) : ModelConfigParser.parse(folder);
        }
    }

    /** {@link #resolve(String)} that also says which spec the name stood for. */
    public Located locate(String reference) {
        Objects.requireNonNull(reference, "reference");
        if (reference.isBlank()) {
            throw new ConfigException("empty model name; give a spec id (tinyllama), a Hub repo id (org/name) or a"
                    + " model folder");
        }
        Path asPath = Path.of(reference);
        if (Files.isDirectory(asPath)) {
            return new Located(asPath, Optional.empty());
        }
        Optional<ModelSpec> spec = registry.get().find(reference);
        if (spec.isPresent()) {
            return new Located(resolve(spec.get()), spec);
        }
        boolean repoId = REPO_ID.matcher(reference).matches() && !reference.contains("..")
                && !reference.contains("--");
        if (repoId) {
            Optional<Path> cached = cached(reference, HubClient.DEFAULT_REVISION);
            if (cached.isPresent()) {
                return new Located(cached.get(), Optional.empty());
            }
        }
        Optional<Path> bundled = bundled(reference);
        if (bundled.isPresent()) {
            return new Located(bundled.get(), Optional.empty());
        }
        if (repoId) {
            throw new ConfigException("Hub repo \"" + reference + "\" is not downloaded (looked in the Hugging Face"
                    + " cache at " + hub.cacheDir() + "); download it with: billion download " + reference
                    + " (or new HubClient().download(\"" + reference + "\") in Java)");
        }
        throw new ConfigException("unknown model '" + reference + "': not a folder, a registered spec id ("
                + String.join(", ", registry.get().ids()) + "), a Hub repo id (org/name) or a bundled model ("
                + String.join(", ", bundledNames()) + ")");
    }

    /**
     * The folder of a spec: its local folder, else its snapshot in the Hugging Face cache.
     *
     * @throws ConfigException when neither exists; the message says how to download it
     */
    public Path resolve(ModelSpec spec) {
        Optional<Path> found = downloaded(spec);
        if (found.isPresent()) {
            return found.get();
        }
        if (spec.repoId().isEmpty()) {
            throw new ConfigException("model '" + spec.id() + "': its local folder " + spec.localDir().orElse(null)
                    + " does not exist");
        }
        String repo = spec.repoId().get();
        boolean registered = registry.get().find(spec.id()).filter(spec::equals).isPresent();
        String command = registered ? "billion download " + spec.id()
                : "billion download " + repo + " --revision " + spec.revision();
        String java = registered ? "new HubClient().download(\"" + spec.id() + "\")"
                : "new HubClient().download(DownloadRequest.builder(\"" + repo + "\").optRevision(\""
                        + spec.revision() + "\").build())";
        throw new ConfigException("model '" + spec.id() + "' (" + repo + "@" + spec.revision()
                + ") is not downloaded (looked in the Hugging Face cache at " + hub.cacheDir()
                + "); download it with: " + command + " (or " + java + " in Java)"
                + (spec.gated() ? "; it is gated: accept its licence on the Hub and set HF_TOKEN first" : ""));
    }

    /** The spec's folder when it is on disk (local folder or complete Hub snapshot), else empty. */
    public Optional<Path> downloaded(ModelSpec spec) {
        Optional<Path> local = spec.localDir().filter(Files::isDirectory);
        if (local.isPresent()) {
            return local;
        }
        return spec.repoId().flatMap(repo -> cached(repo, spec.revision()));
    }

    private Optional<Path> cached(String repoId, String revision) {
        // The Hub client in offline mode reads only the cache, and insists on a complete snapshot.
        try {
            return Optional.of(hubClient.get().download(
                    DownloadRequest.builder(repoId).optRevision(revision).build()));
        } catch (HubException e) {
            return Optional.empty();
        }
    }

    /** The bundled small model called {@code name}, if there is one. */
    public Optional<Path> bundled(String name) {
        if (name.contains("..") || name.isBlank()) {
            return Optional.empty();
        }
        for (Path root : bundledRoots) {
            for (Path p : List.of(root.resolve(name), root.resolve("small-llama-pair").resolve(name))) {
                if (Files.isRegularFile(p.resolve("config.json"))) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Names of the bundled small models, sorted; empty when there are none. */
    public List<String> bundledNames() {
        Optional<Path> root = bundledRoots.stream().filter(Files::isDirectory).findFirst();
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

    /** Builds a {@link ModelResolver}; every option is optional. */
    public static final class Builder {
        private ModelRegistry registry;
        private Path hubCacheDir;
        private Path bundledDir;

        private Builder() {}

        /** Registry of spec ids. Default: {@link ModelRegistry#load()}, loaded on first use. */
        public Builder optRegistry(ModelRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Root of the Hugging Face cache. Default null: {@code HF_HUB_CACHE}, else
         * {@code HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}, as huggingface_hub reads them.
         */
        public Builder optHubCacheDir(Path hubCacheDir) {
            this.hubCacheDir = hubCacheDir;
            return this;
        }

        /**
         * Folder of bundled small models. Default null: {@value ModelResolver#MODELS_DIR_ENV}, else
         * {@code testdata/} under the system property {@code billion.root} or the working directory.
         */
        public Builder optBundledDir(Path bundledDir) {
            this.bundledDir = bundledDir;
            return this;
        }

        /** The resolver. */
        public ModelResolver build() {
            return new ModelResolver(this);
        }
    }
}
