package dev.billionllm.core.cache;

import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.io.ProcessLock;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * ONNX exports of safetensors models, built once and reused across runs and processes.
 *
 * <pre>{@code
 * ExportCache cache = ExportCache.atDefaultLocation();
 * Path onnx = cache.obtain(Path.of("models/tinyllama"), ExportOptions.builder().setPrecision(Precision.INT8).build(),
 *         progressWriter).folder();
 * try (Model m = Model.load(onnx, LoadOptions.builder().optBackend("onnxruntime").build())) { ... }
 * }</pre>
 *
 * <p>Layout under the root:
 * <pre>
 * {root}/{model key}/{options key}/          a finished export (model.onnx, model.onnx_data, tokenizer, config)
 * {root}/{model key}/source.txt              what the model key stands for
 * {root}/{model key}/.tmp-{options key}-N/   an export being built (renamed into place when done)
 * {root}/.locks/{model key}--{options key}.lock
 * </pre>
 * The model key comes from {@link ModelIdentity}; the options key names every export option and
 * the exporter's builder version, so a newer exporter never reuses an older graph. A finished
 * folder only ever appears by an atomic rename, so a crash leaves at most a temporary folder,
 * which the next build of the same key deletes. One process builds a key while others wait on
 * its file lock and then reuse the result.
 */
public final class ExportCache {
    /** System property naming the cache root; wins over {@value #DIR_ENV}. */
    public static final String DIR_PROPERTY = "billion.cache.dir";
    /** Environment variable naming the cache root. */
    public static final String DIR_ENV = "BILLION_CACHE_DIR";

    static final String LOCKS = ".locks";
    static final String TMP_PREFIX = ".tmp-";
    static final String SOURCE_FILE = "source.txt";

    private final Path root;

    private ExportCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** A cache rooted at {@code root} (created on first use). */
    public static ExportCache at(Path root) {
        return new ExportCache(root);
    }

    /**
     * The cache at {@value #DIR_PROPERTY}, else {@value #DIR_ENV}, else
     * {@code ~/.cache/billion-llm/exports}.
     */
    public static ExportCache atDefaultLocation() {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(DIR_ENV);
        }
        if (dir == null || dir.isBlank()) {
            return new ExportCache(Path.of(System.getProperty("user.home"), ".cache", "billion-llm", "exports"));
        }
        return new ExportCache(Path.of(dir));
    }

    public Path root() {
        return root;
    }

    /**
     * The export of {@code modelFolder} with {@code options}, built now if the cache lacks it.
     *
     * @param progress where a progress bar is drawn while exporting; null for none
     * @return the entry, with {@link Entry#built()} true when this call exported it
     * @throws dev.billionllm.core.UnsupportedModelException if the exporter cannot build this model
     */
    public Entry obtain(Path modelFolder, ExportOptions options, PrintWriter progress) {
        return obtain(modelFolder, null, options, progress);
    }

    /**
     * {@link #obtain(Path, ExportOptions, PrintWriter)} for a model whose config was read another
     * way than {@code ModelConfigParser.parse(modelFolder)}: through a spec that declares its
     * {@code model_type} as a built-in family.
     *
     * @param config the model's config, or null to parse the folder's config.json
     */
    public Entry obtain(Path modelFolder, ModelConfig config, ExportOptions options, PrintWriter progress) {
        ModelIdentity identity = ModelIdentity.of(modelFolder);
        String optionsKey = optionsKey(options);
        Path modelDir = root.resolve(identity.key());
        Path target = modelDir.resolve(optionsKey);
        if (isComplete(target)) {
            return entry(identity.key(), optionsKey, target, false);
        }
        try (ProcessLock lock = lock(identity.key() + "--" + optionsKey)) {
            // Another process may have finished it while this one waited.
            if (isComplete(target)) {
                return entry(identity.key(), optionsKey, target, false);
            }
            Files.createDirectories(modelDir);
            deleteLeftovers(modelDir, optionsKey);
            writeSource(modelDir, identity);
            Path tmp = modelDir.resolve(TMP_PREFIX + optionsKey + "-" + ProcessHandle.current().pid());
            try {
                build(modelFolder, config, tmp, options, progress);
                deleteTree(target); // an incomplete folder from an older layout
                move(tmp, target);
            } finally {
                deleteTree(tmp);
            }
            return entry(identity.key(), optionsKey, target, true);
        } catch (IOException e) {
            throw new UncheckedIOException("export cache " + root + ": cannot build " + target, e);
        }
    }

    /** The finished exports, by model and options key. */
    public List<Entry> list() {
        List<Entry> entries = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return entries;
        }
        try (Stream<Path> models = Files.list(root)) {
            for (Path modelDir : models.filter(Files::isDirectory).sorted().toList()) {
                if (modelDir.getFileName().toString().equals(LOCKS)) {
                    continue;
                }
                try (Stream<Path> exports = Files.list(modelDir)) {
                    for (Path e : exports.filter(ExportCache::isComplete).sorted().toList()) {
                        entries.add(entry(modelDir.getFileName().toString(), e.getFileName().toString(), e, false));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the export cache " + root, e);
        }
        return entries;
    }

    /** Bytes under the root, temporary folders included. */
    public long sizeBytes() {
        return Files.isDirectory(root) ? bytes(root) : 0;
    }

    /**
     * Removes every finished export whose model key starts with {@code modelKeyPrefix} (all when
     * empty), each under its lock so that no process is reading one mid-build.
     *
     * @return the entries removed
     */
    public List<Entry> clear(String modelKeyPrefix) {
        List<Entry> removed = new ArrayList<>();
        for (Entry e : list()) {
            if (!e.modelKey().startsWith(modelKeyPrefix)) {
                continue;
            }
            try (ProcessLock lock = lock(e.modelKey() + "--" + e.optionsKey())) {
                deleteTree(e.folder());
                deleteLeftovers(e.folder().getParent(), e.optionsKey());
                removed.add(e);
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot remove " + e.folder(), ex);
            }
        }
        return removed;
    }

    /**
     * A file-name-safe key naming every option that changes the graph, plus the builder version:
     * {@code int4-b32-acc4-v3}, {@code int8-u8-head_fp32-v3}, {@code fp32-v3-plainattn}.
     */
    static String optionsKey(ExportOptions o) {
        StringBuilder key = new StringBuilder(lower(o.precision()));
        if (o.precision() == Precision.INT8 || o.effectiveLmHeadPrecision() == Precision.INT8) {
            key.append('-').append(o.int8Encoding().id());
        }
        boolean int4 = o.precision() == Precision.INT4 || o.effectiveLmHeadPrecision() == Precision.INT4;
        if (int4) {
            key.append("-b").append(o.blockSize()).append("-acc").append(o.accuracyLevel());
        }
        if (o.lmHeadPrecision() != null && o.lmHeadPrecision() != o.precision()) {
            key.append("-head_").append(lower(o.lmHeadPrecision()));
        }
        key.append("-v").append(OnnxExporter.BUILDER_VERSION);
        if (!o.fusedRotary()) {
            key.append("-plainrope");
        }
        if (!o.fusedAttention()) {
            key.append("-plainattn");
        }
        if (!o.skipNorm()) {
            key.append("-plainnorm");
        }
        return key.toString();
    }

    private static String lower(Precision p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    static boolean isComplete(Path exportDir) {
        return Files.isRegularFile(exportDir.resolve(OnnxExporter.METADATA_FILE))
                && Files.isRegularFile(exportDir.resolve(OnnxExporter.MODEL_FILE));
    }

    /** The exporter's own folder export (checks, companions, declaration), with the progress bar counting reads. */
    private static void build(Path modelFolder, ModelConfig declared, Path tmp, ExportOptions options,
            PrintWriter progress) {
        ModelConfig config = declared != null ? declared : ModelConfigParser.parse(modelFolder);
        try (TensorSource weights = Safetensors.open(modelFolder);
                ExportProgress bar = ExportProgress.start(progress, weights,
                        "export " + lower(options.precision()) + " " + modelFolder.getFileName())) {
            OnnxExporter.export(config, modelFolder, bar.counting(weights), modelFolder.toAbsolutePath().toString(), tmp,
                    options);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            // Same parent folder, so this only happens on exotic file systems; the lock still
            // keeps other processes from reading the half-moved folder through obtain().
            Files.move(from, to);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            throw new IOException(to + " appeared while the lock was held: is the cache on a file system "
                    + "without working file locks (NFS)?", e);
        }
    }

    private static void writeSource(Path modelDir, ModelIdentity identity) throws IOException {
        Path file = modelDir.resolve(SOURCE_FILE);
        Path tmp = modelDir.resolve(SOURCE_FILE + ".tmp");
        Files.writeString(tmp, identity.description() + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes temporary folders of {@code optionsKey} left by a crashed build (the lock is held). */
    private static void deleteLeftovers(Path modelDir, String optionsKey) throws IOException {
        if (!Files.isDirectory(modelDir)) {
            return;
        }
        try (Stream<Path> s = Files.list(modelDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(TMP_PREFIX + optionsKey + "-")).toList()) {
                deleteTree(p);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static long bytes(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // removed while walking
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + dir, e);
        }
    }

    private Entry entry(String modelKey, String optionsKey, Path folder, boolean built) {
        String source = "";
        Path sourceFile = folder.getParent().resolve(SOURCE_FILE);
        try {
            if (Files.isRegularFile(sourceFile)) {
                source = Files.readString(sourceFile, StandardCharsets.UTF_8).strip();
            }
        } catch (IOException e) {
            source = "(unreadable " + sourceFile + ")";
        }
        return new Entry(modelKey, optionsKey, folder, source, bytes(folder), built);
    }

    /** Takes the cross-process lock of one cache key; closing releases it. */
    private ProcessLock lock(String name) throws IOException {
        return ProcessLock.acquire(root.resolve(LOCKS).resolve(name + ".lock"));
    }

    /**
     * One finished export.
     *
     * @param modelKey the {@link ModelIdentity#key()} part of the path
     * @param optionsKey the export options part of the path
     * @param folder the export folder, loadable by the ONNX Runtime backend
     * @param source what the model key stands for (repo and commit, or the folder)
     * @param bytes size on disk
     * @param built true when the call that returned it exported it
     */
    public record Entry(String modelKey, String optionsKey, Path folder, String source, long bytes, boolean built) {}
}
