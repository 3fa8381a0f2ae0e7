package dev.billionllm.core.spec;

import dev.billionllm.core.ConfigException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The model specs billion-llm knows by id: those of every {@link ModelSpecProvider} on the class
 * path (the four {@link SeedSpecs} among them), those in the user's JSON spec files, and those
 * registered in code. Ids are unique; registering a second spec with a known id fails and names
 * where both came from.
 *
 * <pre>{@code
 * ModelRegistry registry = ModelRegistry.load();
 * ModelSpec tiny = registry.get("tinyllama");
 * registry.register(ModelSpec.builder().setId("mine").setRepoId("me/mine").setFamily(Family.LLAMA).build());
 * }</pre>
 *
 * <p>Thread-safe: every method synchronises on the registry.
 */
public final class ModelRegistry {

    /** Environment variable naming the folder of user spec files. */
    public static final String SPECS_DIR_ENV = "BILLION_SPECS_DIR";

    /** Spec and where it came from, for duplicate-id messages. Insertion order is listing order. */
    private final Map<String, Registered> byId = new LinkedHashMap<>();

    private record Registered(ModelSpec spec, String source) {}

    /** An empty registry; see {@link #load()} for the usual one. */
    public ModelRegistry() {}

    /**
     * The registry with every {@link ModelSpecProvider} found by {@link ServiceLoader} (through the
     * thread's context class loader) and every {@code *.json} spec file in the user spec folder:
     * {@code $BILLION_SPECS_DIR} when set, else {@code ~/.config/billion-llm/specs} (skipped when
     * it does not exist).
     *
     * @throws ConfigException when a provider or spec file is broken or two specs share an id
     */
    public static ModelRegistry load() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return load(System.getenv(), System.getProperty("user.home"),
                loader != null ? loader : ModelRegistry.class.getClassLoader());
    }

    /** {@link #load()} with the environment, home folder and class loader given (for tests). */
    static ModelRegistry load(Map<String, String> env, String userHome, ClassLoader loader) {
        ModelRegistry registry = new ModelRegistry();
        registry.registerProviders(loader);
        String explicit = env.get(SPECS_DIR_ENV);
        if (explicit != null && !explicit.isBlank()) {
            Path dir = Path.of(explicit);
            if (!Files.isDirectory(dir)) {
                // The user asked for this folder: a typo should not silently drop their specs.
                throw new ConfigException(SPECS_DIR_ENV + "=" + explicit + " is not a folder");
            }
            registry.registerDirectory(dir);
        } else if (userHome != null) {
            Path dir = defaultUserSpecsDir(userHome);
            if (Files.isDirectory(dir)) {
                registry.registerDirectory(dir);
            }
        }
        return registry;
    }

    /** {@code <home>/.config/billion-llm/specs}. */
    static Path defaultUserSpecsDir(String userHome) {
        return Path.of(userHome, ".config", "billion-llm", "specs");
    }

    /**
     * Registers a spec.
     *
     * @return this registry
     * @throws ConfigException when a spec with the same id is already registered
     */
    public ModelRegistry register(ModelSpec spec) {
        return register(spec, "register()");
    }

    private synchronized ModelRegistry register(ModelSpec spec, String source) {
        if (spec == null) {
            throw new IllegalArgumentException(source + ": spec must not be null");
        }
        Registered existing = byId.get(spec.id());
        if (existing != null) {
            throw new ConfigException("duplicate model id \"" + spec.id() + "\": registered by " + existing.source
                    + " and again by " + source + "; give one of them another id");
        }
        byId.put(spec.id(), new Registered(spec, source));
        return this;
    }

    /**
     * Registers the specs of every {@link ModelSpecProvider} that {@code loader} finds.
     *
     * @throws ConfigException when a provider cannot be instantiated, fails, or clashes with a known id
     */
    public ModelRegistry registerProviders(ClassLoader loader) {
        ServiceLoader<ModelSpecProvider> providers = ServiceLoader.load(ModelSpecProvider.class, loader);
        try {
            for (ModelSpecProvider provider : providers) {
                String source = "provider " + provider.getClass().getName();
                List<ModelSpec> specs;
                try {
                    specs = provider.specs();
                } catch (RuntimeException e) {
                    throw new ConfigException(source + " failed: " + e, e);
                }
                if (specs == null) {
                    throw new ConfigException(source + " returned null instead of a list of specs");
                }
                for (ModelSpec spec : specs) {
                    register(spec, source);
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new ConfigException("cannot load a " + ModelSpecProvider.class.getName()
                    + " listed in META-INF/services: " + e.getMessage(), e);
        }
        return this;
    }

    /**
     * Registers the specs of one JSON spec file (see {@link ModelSpecs#fromJson(Path)}).
     *
     * @throws ConfigException when the file is broken or clashes with a known id
     */
    public ModelRegistry registerFile(Path file) {
        for (ModelSpec spec : ModelSpecs.fromJson(file)) {
            register(spec, "file " + file);
        }
        return this;
    }

    /** Registers every {@code *.json} file in a folder, in file-name order (not recursive). */
    public ModelRegistry registerDirectory(Path dir) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.json")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            throw new ConfigException(dir + ": cannot list spec files: " + e.getMessage(), e);
        }
        // Sorted so that which file a duplicate-id error blames does not depend on the file system.
        files.sort(null);
        for (Path file : files) {
            if (Files.isRegularFile(file)) {
                registerFile(file);
            }
        }
        return this;
    }

    /** All registered specs, in registration order (providers first, then files, then code). */
    public synchronized List<ModelSpec> specs() {
        return byId.values().stream().map(Registered::spec).collect(Collectors.toUnmodifiableList());
    }

    /** Registered ids, in registration order. */
    public synchronized List<String> ids() {
        return List.copyOf(byId.keySet());
    }

    /**
     * The spec with this id, or, when {@code idOrRepoId} contains '/', the spec for that Hub
     * repository (see {@link #findByRepoId(String)}).
     */
    public synchronized Optional<ModelSpec> find(String idOrRepoId) {
        Registered r = byId.get(idOrRepoId);
        if (r != null) {
            return Optional.of(r.spec);
        }
        return idOrRepoId != null && idOrRepoId.contains("/") ? findByRepoId(idOrRepoId) : Optional.empty();
    }

    /**
     * The spec for a Hub repository, compared case-insensitively as the Hub does.
     *
     * @throws ConfigException when several registered specs point at that repository (look them
     *     up by id instead; the message lists them)
     */
    public synchronized Optional<ModelSpec> findByRepoId(String repoId) {
        List<ModelSpec> matches = byId.values().stream().map(Registered::spec)
                .filter(s -> s.repoId().map(r -> r.toLowerCase(Locale.ROOT)
                        .equals(repoId.toLowerCase(Locale.ROOT))).orElse(false))
                .collect(Collectors.toList());
        if (matches.size() > 1) {
            throw new ConfigException("Hub repo \"" + repoId + "\" is registered by several specs ("
                    + matches.stream().map(s -> s.id() + "@" + s.revision()).collect(Collectors.joining(", "))
                    + "); look one up by id");
        }
        return matches.stream().findFirst();
    }

    /**
     * The spec with this id (or Hub repo id).
     *
     * @throws ConfigException when none is registered; the message lists the known ids
     */
    public ModelSpec get(String idOrRepoId) {
        return find(idOrRepoId).orElseThrow(() -> new ConfigException("unknown model \"" + idOrRepoId
                + "\"; known ids: " + String.join(", ", ids())
                + ". Register a spec (ModelSpecProvider or a JSON file in $" + SPECS_DIR_ENV
                + " or ~/.config/billion-llm/specs) or pass a model folder with config.json"));
    }
}
