package dev.billionllm.core.hub;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.billionllm.core.hub.HubException.Reason;
import dev.billionllm.core.hub.HubHttp.FileMetadata;
import dev.billionllm.core.hub.HubHttp.Target;
import dev.billionllm.core.spec.ModelRegistry;
import dev.billionllm.core.spec.ModelSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Downloads models from the Hugging Face Hub into the cache that Python's huggingface_hub uses,
 * and returns the snapshot folder, ready for the loaders
 * ({@code ModelConfigParser.parse(snapshot)}, the safetensors reader, the tokenizer).
 *
 * <pre>{@code
 * HubClient hub = new HubClient();                      // settings from HF_* variables
 * Path tinyllama = hub.download("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
 * Path all = hub.download(DownloadRequest.builder("EleutherAI/pythia-1b").optFilter(FileFilter.all()).build());
 * }</pre>
 *
 * <p>A branch or tag is resolved once: when the cache already has a complete snapshot for it, no
 * request is made at all (ask for {@link DownloadRequest#refresh()} to look for a newer commit).
 * In offline mode only the cache is read. Thread-safe; downloads of one blob by several threads
 * or processes are serialised by a lock file.
 */
public final class HubClient {

    /** The revision used when none is given. */
    public static final String DEFAULT_REVISION = "main";

    private static final System.Logger LOG = System.getLogger(HubClient.class.getPackageName());

    // Default-filter files that many repos lack; offline mode does not insist on them, because a
    // cache filled by Python records no ".no_exist" marker for files it never asked for.
    private static final Set<String> OPTIONAL_FILES = Set.of("generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "chat_template.jinja",
            "model.safetensors.index.json");
    private static final String WEIGHTS = "model.safetensors";
    private static final String INDEX = "model.safetensors.index.json";

    private final HubOptions options;
    private final Supplier<ModelRegistry> registry;
    private final HubCache cache;
    private final HubHttp http;
    private final BlobDownloader downloader;

    /** A client with {@link HubOptions#fromEnvironment()}. */
    public HubClient() {
        this(HubOptions.fromEnvironment());
    }

    /**
     * A client that looks model spec ids up in {@link ModelRegistry#load()}, loaded on first use
     * (so that a broken user spec file does not stop downloads by repo id).
     */
    public HubClient(HubOptions options) {
        this(options, lazyDefaultRegistry(), new HubCache(options.cacheDir()));
    }

    /** @param registry maps model spec ids to repos; ids it does not know are taken as repo ids */
    public HubClient(HubOptions options, ModelRegistry registry) {
        this(options, () -> registry, new HubCache(options.cacheDir()));
        Objects.requireNonNull(registry, "registry");
    }

    HubClient(HubOptions options, Supplier<ModelRegistry> registry, HubCache cache) {
        this.options = Objects.requireNonNull(options, "options");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.cache = cache;
        this.http = new HubHttp(options);
        this.downloader = new BlobDownloader(http, cache, options);
    }

    private static Supplier<ModelRegistry> lazyDefaultRegistry() {
        return new Supplier<>() {
            private ModelRegistry loaded;

            @Override
            public synchronized ModelRegistry get() {
                if (loaded == null) {
                    loaded = ModelRegistry.load();
                }
                return loaded;
            }
        };
    }

    public HubOptions options() {
        return options;
    }

    /**
     * Downloads the default files ({@link FileFilter#defaults()}) of a model given by spec id or
     * repo id, and returns its snapshot folder.
     */
    public Path download(String modelOrRepoId) {
        return download(DownloadRequest.of(modelOrRepoId));
    }

    /** Downloads what the request asks for and returns the snapshot folder. */
    public Path download(DownloadRequest request) {
        ModelSpec ref = registry.get().find(request.id()).orElse(null);
        RepoId repo;
        String revision;
        if (ref != null) {
            repo = RepoId.of(ref.repoId().orElseThrow(() -> new HubException(Reason.INVALID_NAME, "Model spec \""
                    + request.id() + "\" has no Hub repo (it is local-only), so there is nothing to download")));
            revision = request.revision() != null ? request.revision() : ref.revision();
        } else {
            repo = repoIdOrHint(request.id());
            revision = request.revision() != null ? request.revision() : DEFAULT_REVISION;
        }
        try {
            return snapshot(repo, revision, request.filter(), request.refresh());
        } catch (HubException e) {
            if (ref == null && e.reason() == Reason.REPO_NOT_FOUND && !request.id().contains("/")) {
                throw new HubException(e.reason(), e.getMessage() + " \"" + request.id()
                        + "\" is not a known model id either" + knownIds() + ".", e);
            }
            throw e;
        }
    }

    private RepoId repoIdOrHint(String id) {
        try {
            return RepoId.of(id);
        } catch (HubException e) {
            throw new HubException(e.reason(), e.getMessage() + "; \"" + id + "\" is not a known model id either"
                    + knownIds() + ".", e);
        }
    }

    private String knownIds() {
        List<String> ids = registry.get().ids();
        return ids.isEmpty() ? "" : " (known ids: " + String.join(", ", ids) + ")";
    }

    /**
     * Downloads the files of {@code repo} at {@code revision} that {@code filter} selects.
     *
     * @return {@code {cache}/models--org--name/snapshots/{commit}}
     */
    public Path snapshot(RepoId repo, String revision, FileFilter filter, boolean refresh) {
        HubNames.checkRevision(revision);
        if (options.offline()) {
            return fromCacheOnly(repo, revision, filter);
        }
        if (!refresh) {
            String commit = cache.resolveCommit(repo, revision);
            if (commit != null && missingInCache(repo, commit, filter, true).isEmpty()) {
                LOG.log(System.Logger.Level.DEBUG, "{0}@{1}: complete in the cache, no request made", repo, revision);
                return cache.snapshotDir(repo, commit);
            }
        }
        Target apiTarget = new Target(repo, revision, null);
        JsonObject info = http.getJson(http.apiUrl(repo, revision), apiTarget);
        String commit = string(info, "sha");
        if (commit == null || !HubNames.isCommitHash(commit)) {
            throw new HubException(Reason.TRANSFER, "The Hub API answer for " + repo + "@" + revision
                    + " has no valid \"sha\" (got " + commit + ")");
        }
        List<String> files = siblings(repo, info);
        List<String> selected = files.stream().filter(filter::matches).toList();
        cache.writeRef(repo, revision, commit);
        Path snapshotDir = cache.snapshotDir(repo, commit);
        try {
            Files.createDirectories(snapshotDir);
        } catch (IOException e) {
            throw HubCache.ioFailure("create " + snapshotDir, e);
        }
        if (selected.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "{0}@{1}: no file matches {2}", repo, revision, filter);
        }
        for (String file : selected) {
            fetchFile(repo, commit, file);
        }
        // Record which of the wanted names this commit lacks, exactly as huggingface_hub does after a
        // 404, so that the next call can tell a complete snapshot from an interrupted one offline.
        Set<String> wanted = new LinkedHashSet<>(filter.literals());
        if (filter.matches(WEIGHTS)) {
            wanted.add(WEIGHTS);
        }
        for (String name : wanted) {
            if (!files.contains(name)) {
                HubNames.checkRepoFile(repo, name);
                cache.markMissing(repo, commit, name);
            }
        }
        return snapshotDir;
    }

    /**
     * Downloads one file (any type, pickled included: the caller named it) and returns its path in
     * the snapshot. A branch or tag already resolved in the cache is not asked for again.
     */
    public Path downloadFile(String repoId, String revision, String file) {
        RepoId repo = RepoId.of(repoId);
        String rev = HubNames.checkRevision(revision == null ? DEFAULT_REVISION : revision);
        HubNames.checkRepoFile(repo, file);
        String cached = cache.resolveCommit(repo, rev);
        if (cached != null && Files.exists(cache.pointer(repo, cached, file))) {
            return cache.pointer(repo, cached, file);
        }
        if (options.offline()) {
            throw notInCache(repo, rev, List.of(file));
        }
        return fetchFile(repo, rev, file);
    }

    /**
     * Puts one file of a revision into the cache (blob + snapshot link) unless it is there.
     * {@code revision} is the commit in snapshot downloads, or a branch for single files.
     */
    private Path fetchFile(RepoId repo, String revision, String file) {
        if (HubNames.isCommitHash(revision)) {
            Path pointer = cache.pointer(repo, revision, file);
            if (Files.exists(pointer)) {
                return pointer; // Files.exists follows the link: a dangling link is downloaded again
            }
        }
        Target target = new Target(repo, revision, file);
        FileMetadata meta = http.head(http.resolveUrl(repo, revision, file), target);
        String commit = meta.commit() != null ? meta.commit() : (HubNames.isCommitHash(revision) ? revision : null);
        if (commit == null) {
            throw new HubException(Reason.TRANSFER, options.endpoint() + " sent no X-Repo-Commit for " + file
                    + " of " + repo + "; is HF_ENDPOINT a Hugging Face Hub (or a proxy that drops headers)?");
        }
        if (HubNames.isCommitHash(revision) && !commit.equals(revision)) {
            commit = revision; // we asked for that exact commit; its snapshot is where the file belongs
        }
        cache.writeRef(repo, revision, commit);
        Path pointer = cache.pointer(repo, commit, file);
        if (Files.exists(pointer)) {
            return pointer;
        }
        Path blob = downloader.fetch(repo, meta, target);
        cache.link(blob, pointer);
        return pointer;
    }

    private Path fromCacheOnly(RepoId repo, String revision, FileFilter filter) {
        String commit = cache.resolveCommit(repo, revision);
        if (commit == null || !Files.isDirectory(cache.snapshotDir(repo, commit))) {
            throw notInCache(repo, revision, List.of("the snapshot itself"));
        }
        List<String> missing = missingInCache(repo, commit, filter, false);
        if (!missing.isEmpty()) {
            throw notInCache(repo, revision, missing);
        }
        return cache.snapshotDir(repo, commit);
    }

    private HubException notInCache(RepoId repo, String revision, List<String> missing) {
        return new HubException(Reason.NOT_IN_CACHE, "Offline mode (HF_HUB_OFFLINE) and " + repo + "@" + revision
                + " is not fully in the cache " + cache.repoDir(repo) + ": missing " + String.join(", ", missing)
                + ". Run the download once online (unset HF_HUB_OFFLINE), or point HF_HUB_CACHE at a cache that has it.");
    }

    /**
     * What the filter wants that the cached snapshot lacks. Strict mode (deciding whether to skip
     * the network) counts every named file not present and not recorded as absent, and any
     * pattern whose matches cannot be known without the repo listing; lenient mode (offline)
     * insists only on config.json, names the caller gave, and complete safetensors weights.
     */
    private List<String> missingInCache(RepoId repo, String commit, FileFilter filter, boolean strict) {
        Path snap = cache.snapshotDir(repo, commit);
        List<String> missing = new ArrayList<>();
        if (!Files.isDirectory(snap)) {
            missing.add("snapshots/" + commit);
            return missing;
        }
        boolean defaults = filter.patterns().equals(FileFilter.DEFAULT_PATTERNS);
        for (String name : filter.literals()) {
            if (present(repo, commit, name) || cache.isMarkedMissing(repo, commit, name)) {
                continue;
            }
            if (strict || !(defaults && OPTIONAL_FILES.contains(name))) {
                missing.add(name);
            }
        }
        for (String glob : filter.globs()) {
            if (glob.equals("*.safetensors")) {
                missing.addAll(missingWeights(repo, commit, strict));
            } else if (strict) {
                missing.add(glob); // only the repo listing can tell what this matches
            }
        }
        return missing;
    }

    private List<String> missingWeights(RepoId repo, String commit, boolean strict) {
        Path snap = cache.snapshotDir(repo, commit);
        Path index = snap.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            List<String> missing = new ArrayList<>();
            for (String shard : shards(repo, index)) {
                if (!present(repo, commit, shard)) {
                    missing.add(shard);
                }
            }
            return missing;
        }
        if (present(repo, commit, WEIGHTS)) {
            return List.of();
        }
        if (cache.isMarkedMissing(repo, commit, WEIGHTS) && cache.isMarkedMissing(repo, commit, INDEX)) {
            return List.of(); // this commit has no standard weights files (recorded online)
        }
        if (!strict) {
            try (Stream<Path> s = Files.walk(snap)) {
                if (s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(p))) {
                    return List.of();
                }
            } catch (IOException e) {
                // fall through: report the weights as missing
            }
        }
        return List.of(WEIGHTS + " (or " + INDEX + " and its shards)");
    }

    private List<String> shards(RepoId repo, Path index) {
        try {
            JsonObject root = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8)).getAsJsonObject();
            JsonObject map = root.getAsJsonObject("weight_map");
            if (map == null) {
                return List.of(INDEX + " (no \"weight_map\")");
            }
            Set<String> shards = new LinkedHashSet<>();
            for (var e : map.entrySet()) {
                shards.add(HubNames.checkRepoFile(repo, e.getValue().getAsString()));
            }
            return List.copyOf(shards);
        } catch (IOException | JsonParseException | IllegalStateException | ClassCastException e) {
            return List.of(INDEX + " (unreadable: " + e.getMessage() + ")");
        }
    }

    private boolean present(RepoId repo, String commit, String name) {
        return Files.isRegularFile(cache.pointer(repo, commit, HubNames.checkRepoFile(repo, name)));
    }

    private static List<String> siblings(RepoId repo, JsonObject info) {
        List<String> files = new ArrayList<>();
        JsonElement siblings = info.get("siblings");
        if (siblings == null || !siblings.isJsonArray()) {
            throw new HubException(Reason.TRANSFER, "The Hub API answer for " + repo + " has no \"siblings\" list");
        }
        for (JsonElement s : siblings.getAsJsonArray()) {
            String name = s.isJsonObject() ? string(s.getAsJsonObject(), "rfilename") : null;
            if (name == null) {
                throw new HubException(Reason.TRANSFER, "The Hub API answer for " + repo
                        + " has a sibling without \"rfilename\": " + s);
            }
            files.add(HubNames.checkRepoFile(repo, name));
        }
        return files;
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }
}
