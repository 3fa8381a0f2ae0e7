package dev.billionllm.core.backend;

import dev.billionllm.core.export.Precision;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How a model is found and loaded: which backend, on which device, with how many threads, which
 * file variant, and options only one backend understands. Immutable; every field is optional, so
 * {@link #defaults()} loads anything the installed backends can read.
 *
 * <pre>{@code
 * LoadOptions options = LoadOptions.builder()
 *         .optBackend("onnxruntime")
 *         .optVariant("int8")
 *         .optThreads(4)
 *         .optBackendOption("spinning", "false")
 *         .build();
 * try (Model model = Model.load("tinyllama", options)) { ... }
 *
 * // A safetensors model through its int8 ONNX export, built on first use and cached:
 * Model.load("tinyllama", LoadOptions.builder().optPrecision(Precision.AUTO).build());
 * }</pre>
 */
public final class LoadOptions {

    private static final Pattern DEVICE = Pattern.compile("cpu|gpu(:\\d{1,3})?");

    private final String backend;
    private final String device;
    private final int threads;
    private final String variant;
    private final Map<String, String> backendOptions;
    private final Path hubCacheDir;
    private final int usableVocabSize;
    private final List<Path> adapters;
    private final boolean mergeAdapters;
    private final Precision precision;
    private final Path exportCacheDir;
    private final PrintWriter exportProgress;

    private LoadOptions(Builder b) {
        backend = b.backend;
        device = b.device;
        threads = b.threads;
        variant = b.variant;
        backendOptions = Collections.unmodifiableMap(new TreeMap<>(b.backendOptions));
        hubCacheDir = b.hubCacheDir;
        usableVocabSize = b.usableVocabSize;
        adapters = List.copyOf(b.adapters);
        mergeAdapters = b.mergeAdapters;
        precision = b.precision;
        exportCacheDir = b.exportCacheDir;
        exportProgress = b.exportProgress;
    }

    /** More intra-op threads than this many per available processor only adds contention. */
    public static final int THREADS_PER_PROCESSOR = 4;

    /** The largest thread count {@link Builder#optThreads} accepts on this machine. */
    public static int maxThreads() {
        return THREADS_PER_PROCESSOR * Runtime.getRuntime().availableProcessors();
    }

    /** Every option at its default. */
    public static LoadOptions defaults() {
        return builder().build();
    }

    /** A builder with every option at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to derive others. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.backend = backend;
        b.device = device;
        b.threads = threads;
        b.variant = variant;
        b.backendOptions.putAll(backendOptions);
        b.hubCacheDir = hubCacheDir;
        b.usableVocabSize = usableVocabSize;
        b.adapters.addAll(adapters);
        b.mergeAdapters = mergeAdapters;
        b.precision = precision;
        b.exportCacheDir = exportCacheDir;
        b.exportProgress = exportProgress;
        return b;
    }

    /** Backend name ("pytorch", "onnxruntime"), or null to pick one that can read the folder. */
    public String backend() {
        return backend;
    }

    /** "cpu", "gpu" or "gpu:N", or null for the engine default. */
    public String device() {
        return device;
    }

    /** Intra-op threads; 0 leaves the engine's default. */
    public int threads() {
        return threads;
    }

    /** Backend-specific file choice, or null for the backend's default. */
    public String variant() {
        return variant;
    }

    /** Options for the chosen backend only, by key (sorted); empty unless set. */
    public Map<String, String> backendOptions() {
        return backendOptions;
    }

    /** Root of the Hugging Face cache to look in, or null for the environment's (see the builder). */
    public Path hubCacheDir() {
        return hubCacheDir;
    }

    /** Ids at or past this are never produced; 0 means the config's vocab_size. */
    public int usableVocabSize() {
        return usableVocabSize;
    }

    /** PEFT LoRA adapter folders applied in this order (their deltas add up); empty unless set. */
    public List<Path> adapters() {
        return adapters;
    }

    /** Whether {@link #adapters()} are folded into the weights at load instead of applied beside them. */
    public boolean mergeAdapters() {
        return mergeAdapters;
    }

    /**
     * The precision a safetensors model runs at, or null to load the folder as it is (the
     * default: PyTorch fp32 for safetensors).
     */
    public Precision precision() {
        return precision;
    }

    /** Root of the export cache, or null for {@code ExportCache.atDefaultLocation()}. */
    public Path exportCacheDir() {
        return exportCacheDir;
    }

    /** Where the progress of an export being built is drawn, or null for nowhere. */
    public PrintWriter exportProgress() {
        return exportProgress;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LoadOptions)) {
            return false;
        }
        LoadOptions l = (LoadOptions) o;
        return threads == l.threads && usableVocabSize == l.usableVocabSize && Objects.equals(backend, l.backend)
                && Objects.equals(device, l.device) && Objects.equals(variant, l.variant)
                && backendOptions.equals(l.backendOptions) && Objects.equals(hubCacheDir, l.hubCacheDir)
                && adapters.equals(l.adapters) && mergeAdapters == l.mergeAdapters && precision == l.precision
                && Objects.equals(exportCacheDir, l.exportCacheDir) && exportProgress == l.exportProgress;
    }

    @Override
    public int hashCode() {
        return Objects.hash(backend, device, threads, variant, backendOptions, hubCacheDir, usableVocabSize, adapters,
                mergeAdapters, precision, exportCacheDir, System.identityHashCode(exportProgress));
    }

    @Override
    public String toString() {
        return "LoadOptions{backend=" + (backend == null ? "auto" : backend) + ", device="
                + (device == null ? "default" : device) + ", threads=" + threads + ", variant=" + variant
                + ", backendOptions=" + backendOptions + (hubCacheDir == null ? "" : ", hubCacheDir=" + hubCacheDir)
                + (usableVocabSize == 0 ? "" : ", usableVocabSize=" + usableVocabSize)
                + (adapters.isEmpty() ? "" : ", adapters=" + adapters + (mergeAdapters ? " merged" : ""))
                + (precision == null ? "" : ", precision=" + precision)
                + (exportCacheDir == null ? "" : ", exportCacheDir=" + exportCacheDir) + "}";
    }

    /**
     * Builds {@link LoadOptions}. Every field is optional ({@code opt*}); each setter rejects a bad
     * value at once with an {@link IllegalArgumentException}, and {@link #build()} checks that a
     * named backend is installed and understands the backend options.
     */
    public static final class Builder {
        private String backend;
        private String device;
        private int threads;
        private String variant;
        private final Map<String, String> backendOptions = new TreeMap<>();
        private Path hubCacheDir;
        private int usableVocabSize;
        private final List<Path> adapters = new ArrayList<>();
        private boolean mergeAdapters;
        private Precision precision;
        private Path exportCacheDir;
        private PrintWriter exportProgress;

        private Builder() {}

        /**
         * The backend: "pytorch" (safetensors weights) or "onnxruntime" (an ONNX decoder), or any
         * other {@link Backend} on the class path. Default null: PyTorch when the folder has
         * safetensors weights and PyTorch is installed, else the first installed backend that can
         * read the folder.
         */
        public Builder optBackend(String backend) {
            if (backend != null && backend.isBlank()) {
                throw new IllegalArgumentException("backend must not be blank (null picks one)");
            }
            this.backend = backend == null ? null : backend.toLowerCase(Locale.ROOT);
            return this;
        }

        /**
         * The device: "cpu", "gpu" or "gpu:N". Default null: the engine's default (PyTorch: the
         * first GPU when DJL finds CUDA, else the CPU; ONNX Runtime: the CPU).
         */
        public Builder optDevice(String device) {
            if (device != null && !DEVICE.matcher(device.toLowerCase(Locale.ROOT)).matches()) {
                throw new IllegalArgumentException("device must be cpu, gpu or gpu:N, got \"" + device + "\"");
            }
            this.device = device == null ? null : device.toLowerCase(Locale.ROOT);
            return this;
        }

        /**
         * Intra-op threads, 0 to {@link #maxThreads()}. Default 0: the engine's default (one per core).
         * PyTorch's pool is process-wide, so the last model loaded with a non-zero value sets it for all.
         */
        public Builder optThreads(int threads) {
            if (threads < 0 || threads > maxThreads()) {
                throw new IllegalArgumentException("threads must be 0 (engine default) to " + maxThreads() + " ("
                        + THREADS_PER_PROCESSOR + " x " + Runtime.getRuntime().availableProcessors()
                        + " available processors; more only adds contention), got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Which weights file to load where a folder has several. ONNX Runtime: "fp32", "quantized",
         * "int8", "q4", "q4f16", "fp16" or a file name. Default null: the backend's default
         * (ONNX Runtime: model.onnx, else the first variant present).
         */
        public Builder optVariant(String variant) {
            if (variant != null && variant.isBlank()) {
                throw new IllegalArgumentException("variant must not be blank (null picks the default)");
            }
            this.variant = variant;
            return this;
        }

        /**
         * An option only one backend understands; setting a key again replaces its value. Default:
         * none. Keys each backend reads (see {@link Backend#optionNames()}):
         * <ul>
         *   <li>onnxruntime {@code optimization}: graph optimisation, none, basic, extended or all
         *       (default all);
         *   <li>onnxruntime {@code spinning}: "false" stops idle intra-op threads from spin-waiting,
         *       much faster on busy or shared cores (default true, ONNX Runtime's own default).
         * </ul>
         * PyTorch reads none. {@link #build()} rejects keys the named backend does not read;
         * without a named backend the check happens when one is picked.
         */
        public Builder optBackendOption(String key, String value) {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("backend option key must not be blank");
            }
            if (value == null) {
                throw new IllegalArgumentException("backend option \"" + key + "\" needs a value");
            }
            backendOptions.put(key, value);
            return this;
        }

        /**
         * Root of the Hugging Face cache where {@code Model.load} looks for downloaded models.
         * Default null: {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else
         * {@code ~/.cache/huggingface/hub}, as huggingface_hub reads them.
         */
        public Builder optHubCacheDir(Path hubCacheDir) {
            this.hubCacheDir = hubCacheDir;
            return this;
        }

        /**
         * Token ids at or past this are never produced, &ge; 0. Default 0: {@code Model.load} uses
         * the tokenizer's size (some checkpoints pad the embedding past it), a backend used on its
         * own the config's vocab_size.
         */
        public Builder optUsableVocabSize(int usableVocabSize) {
            if (usableVocabSize < 0) {
                throw new IllegalArgumentException("usableVocabSize must be >= 0 (0 = vocab_size), got "
                        + usableVocabSize);
            }
            this.usableVocabSize = usableVocabSize;
            return this;
        }

        /**
         * Adds a PEFT LoRA adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors});
         * call again to stack several. Adapters run on the PyTorch backend, unmerged unless
         * {@link #optMergeAdapters(boolean)}. Default: none.
         */
        public Builder optAdapter(Path adapterDir) {
            adapters.add(Objects.requireNonNull(adapterDir, "adapterDir"));
            return this;
        }

        /**
         * Fold the adapters into the weights at load ({@code W + scale * B A}: no cost per token, not
         * removable) instead of applying them beside the frozen weights. Default false.
         */
        public Builder optMergeAdapters(boolean merge) {
            this.mergeAdapters = merge;
            return this;
        }

        /**
         * Runs a safetensors model at this precision: {@link Precision#AUTO} the one that keeps
         * quality and is fastest on this CPU (today an int8 ONNX export; {@code Model.precisionReason()}
         * says why), {@link Precision#INT8} or {@link Precision#INT4} an ONNX export at that
         * precision, {@link Precision#FP32} the exact PyTorch model (or, with
         * {@code optBackend("onnxruntime")}, an fp32 export). An export is built once with the
         * project's exporter into the export cache ({@link #optExportCacheDir}), keyed by the
         * model and the export options, and reused by every later load and process. AUTO with
         * adapters runs them on PyTorch fp32. Default null: load the folder as it is, PyTorch fp32
         * for safetensors.
         *
         * <p>{@code Model.load} refuses what cannot run, naming the fix: INT8/INT4 with
         * {@code optBackend("pytorch")}, with adapters, or with {@link #optVariant}; FP32, INT8 or
         * INT4 for a folder that has no safetensors weights (AUTO loads such a folder as it is).
         */
        public Builder optPrecision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /**
         * Root of the export cache used by {@link #optPrecision}. Default null: the
         * {@code billion.cache.dir} system property, else {@code BILLION_CACHE_DIR}, else
         * {@code ~/.cache/billion-llm/exports} (what {@code billion cache} manages).
         */
        public Builder optExportCacheDir(Path exportCacheDir) {
            this.exportCacheDir = exportCacheDir;
            return this;
        }

        /**
         * Where a progress bar is drawn while {@link #optPrecision} builds an export (once per
         * model and options). Default null: no output.
         */
        public Builder optExportProgress(PrintWriter progress) {
            this.exportProgress = progress;
            return this;
        }

        /**
         * The immutable options.
         *
         * @throws dev.billionllm.core.UnsupportedModelException when the named backend is not installed
         * @throws IllegalArgumentException when it does not read one of the backend options or a value
         */
        public LoadOptions build() {
            if (backend != null) {
                Backends.get(backend).checkOptions(backendOptions);
            }
            return new LoadOptions(this);
        }
    }
}
