package dev.billionllm.core;

import dev.billionllm.core.adapter.AdaptedBackend;
import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.cache.ExportCache;
import dev.billionllm.core.cache.FastPath;
import dev.billionllm.core.chat.ChatTemplate;
import dev.billionllm.core.chat.ChatTemplates;
import dev.billionllm.core.config.GenerationConfigParser;
import dev.billionllm.core.config.GenerationDefaults;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.spec.ModelSpec;
import dev.billionllm.core.tokenize.HfTokenizer;
import dev.billionllm.core.tokenize.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A loaded model: its config, tokenizer, chat template, generation defaults, and the weights on a
 * backend. The one way to load a model, by whatever name the user has for it:
 *
 * <pre>{@code
 * try (Model model = Model.load("tinyllama")) {          // after: billion download tinyllama
 *     GenerationResult r = model.generator().generate("the cat sat on",
 *             GenerationConfig.builder().optMaxNewTokens(16).build());
 *     System.out.println(r.text());
 * }
 * Model.load("TinyLlama/TinyLlama-1.1B-Chat-v1.0");     // a Hub repo id in the Hugging Face cache
 * Model.load(Path.of("models/my-llama"));                // a folder with config.json
 * Model.load("tinyllama", LoadOptions.builder().optBackend("onnxruntime").optVariant("int8").build());
 * // safetensors weights through a cached ONNX export at the precision that suits this CPU (int8):
 * Model fast = Model.load("tinyllama", LoadOptions.builder().optPrecision(Precision.AUTO).build());
 * fast.precisionReason().ifPresent(System.err::println);
 * }</pre>
 *
 * <p>Loading never goes online: names are turned into folders by {@link ModelResolver}, and a
 * model that is not downloaded yet gets an error that says how to download it. The model owns the
 * weights and the tokenizer; {@link #close()} frees both. It is thread-safe in the way
 * {@link Generator} documents.
 */
public final class Model implements AutoCloseable {
    /** Backend used when none is named: PyTorch for safetensors folders, else the first that can load. */
    public static final String DEFAULT_BACKEND = "pytorch";

    private final Path folder;
    private final String backendName;
    private final ModelConfig config;
    private final GenerationDefaults generationDefaults;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final CausalLM lm;
    private final Duration loadTime;
    private final String precisionReason;

    private Model(Path folder, String backendName, ModelConfig config, GenerationDefaults defaults,
            Tokenizer tokenizer, ChatTemplate chatTemplate, CausalLM lm, Duration loadTime, String precisionReason) {
        this.folder = folder;
        this.backendName = backendName;
        this.config = config;
        this.generationDefaults = defaults;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.lm = lm;
        this.loadTime = loadTime;
        this.precisionReason = precisionReason;
    }

    /**
     * Loads a model by name with default options: a spec id ({@code tinyllama}), a Hub repo id
     * ({@code org/name}) downloaded to the Hugging Face cache, a folder, or a bundled small model
     * (see {@link ModelResolver} for the order).
     *
     * @throws ConfigException when the name is unknown or the model is not downloaded (the message
     *     says how to download it), or its files are broken
     */
    public static Model load(String reference) {
        return load(reference, LoadOptions.defaults());
    }

    /** {@link #load(String)} with options; {@link LoadOptions#hubCacheDir()} picks the cache searched. */
    public static Model load(String reference, LoadOptions options) {
        Objects.requireNonNull(options, "options");
        ModelResolver.Located located = resolver(options).locate(reference);
        return load(located.folder(), located.spec(), options);
    }

    /**
     * Loads a spec's model from its local folder or its snapshot in the Hugging Face cache. The
     * spec's recommended generation settings fill what the folder's generation_config.json leaves
     * unset.
     *
     * @throws ConfigException when it is not downloaded; the message says how to download it
     */
    public static Model load(ModelSpec spec, LoadOptions options) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        return load(resolver(options).resolve(spec), Optional.of(spec), options);
    }

    /** Loads {@code folder} with default options. */
    public static Model load(Path folder) {
        return load(folder, LoadOptions.defaults());
    }

    /**
     * Loads a model folder (config.json, tokenizer.json, weights) on the backend
     * {@link LoadOptions#backend()} names, or on one that can read the folder.
     */
    public static Model load(Path folder, LoadOptions options) {
        return load(folder, Optional.empty(), options);
    }

    private static ModelResolver resolver(LoadOptions options) {
        return ModelResolver.builder().optHubCacheDir(options.hubCacheDir()).build();
    }

    private static Model load(Path folder, Optional<ModelSpec> spec, LoadOptions options) {
        Objects.requireNonNull(folder, "folder");
        Objects.requireNonNull(options, "options");
        if (!Files.isDirectory(folder)) {
            throw new ConfigException(folder + ": not a model folder (expected a directory with config.json)");
        }
        long start = System.nanoTime();
        // A spec may declare an unknown model_type as a built-in family; its config reads through that.
        ModelConfig config = new ModelResolver.Located(folder, spec).config();
        GenerationDefaults defaults = GenerationConfigParser.parse(folder);
        if (spec.isPresent()) {
            defaults = defaults.orElse(spec.get().generationDefaults());
        }
        // LoadOptions.precision: which folder holds the weights to run (the model's, or its cached export).
        FastPath path = fastPath(folder, options);
        Path weights = path.prepare(folder, config, options.exportCacheDir() == null ? ExportCache.atDefaultLocation()
                : ExportCache.at(options.exportCacheDir()), options.exportProgress());
        String backendName = path.backend();
        // Adapters run on the PyTorch backend (merged or not); AdaptedBackend refuses any other.
        Backend chosen = options.adapters().isEmpty() ? chooseBackend(weights, backendName)
                : AdaptedBackend.of(backendName, options.adapters(), options.mergeAdapters());
        chosen.checkOptions(options.backendOptions());
        // Tokenizer, chat template and generation defaults come from the model's own folder (an
        // export carries copies of them).
        HfTokenizer tokenizer = HfTokenizer.load(folder);
        try {
            ChatTemplate template = ChatTemplates.load(folder, tokenizer);
            LoadOptions effective = options.usableVocabSize() > 0 ? options : options.toBuilder()
                    .optUsableVocabSize(Math.min(tokenizer.vocabSize(), config.vocabSize())).build();
            CausalLM lm = chosen.load(weights, config, effective);
            return new Model(weights, chosen.name(), config, defaults, tokenizer, template, lm,
                    Duration.ofNanos(System.nanoTime() - start), path.reason());
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /**
     * How {@link LoadOptions#precision()} runs {@code folder}: as it is when none is set, else
     * {@link FastPath}'s choice (which refuses PyTorch below fp32 and a precision for a folder
     * without safetensors weights); adapters and file variants are checked here.
     */
    private static FastPath fastPath(Path folder, LoadOptions options) {
        Precision precision = options.precision();
        if (precision == null) {
            return new FastPath(options.backend(), null, null);
        }
        if (!options.adapters().isEmpty()) {
            if (precision == Precision.INT8 || precision == Precision.INT4) {
                throw new IllegalArgumentException("precision " + precision + " cannot run LoRA adapters: they run on "
                        + "the PyTorch backend at fp32 (use Precision.AUTO or FP32), or export a merged model first "
                        + "(billion export --adapter DIR -m MODEL --precision int8 -o OUT) and load that");
            }
            return new FastPath(options.backend() == null ? "pytorch" : options.backend(), null,
                    precision == Precision.AUTO
                    ? "fp32 PyTorch: LoRA adapters run unmerged on the PyTorch backend" : null);
        }
        FastPath path = FastPath.choose(folder, options.backend(), precision == Precision.AUTO ? null : precision);
        if (path.exports() && options.variant() != null) {
            throw new IllegalArgumentException("variant \"" + options.variant() + "\" picks a file of an ONNX folder; "
                    + "with precision " + precision + " the export's file is chosen by the precision (drop one of "
                    + "optVariant, optPrecision)");
        }
        return path;
    }

    private static Backend chooseBackend(Path folder, String name) {
        if (name != null) {
            Backend b = Backends.get(name);
            if (!b.canLoad(folder)) {
                throw new ConfigException(folder + ": backend \"" + b.name()
                        + "\" finds no weights it can read here (pytorch reads *.safetensors; onnxruntime reads *.onnx)");
            }
            return b;
        }
        Backend fallback = null;
        for (Backend b : Backends.all()) {
            if (b.canLoad(folder)) {
                if (b.name().equals(DEFAULT_BACKEND)) {
                    return b;
                }
                if (fallback == null) {
                    fallback = b;
                }
            }
        }
        if (fallback == null) {
            throw new ConfigException(folder + ": no installed backend can load this folder (expected model.safetensors,"
                    + " model.safetensors.index.json or an ONNX decoder such as model.onnx; installed: "
                    + Backends.all().stream().map(Backend::name).collect(Collectors.joining(", ")) + "). "
                    + Backends.ENGINE_DEPENDENCIES);
        }
        return fallback;
    }

    /** A generator over this model whose default configuration comes from generation_config.json. */
    public Generator generator() {
        return Generator.builder(lm)
                .optTokenizer(tokenizer)
                .optChatTemplate(chatTemplate)
                .optDefaultConfig(defaultGenerationConfig())
                .build();
    }

    /** The model's generation_config.json defaults as a {@link GenerationConfig}. */
    public GenerationConfig defaultGenerationConfig() {
        return GenerationConfig.fromDefaults(generationDefaults);
    }

    /**
     * The folder the weights were loaded from: the model's own, or with
     * {@link LoadOptions#precision()} its export in the export cache.
     */
    public Path folder() {
        return folder;
    }

    /**
     * Why the model runs at the precision it does, when {@link LoadOptions#precision()} was
     * {@link Precision#AUTO} or an export was chosen (e.g. {@code "int8 ONNX export (default: int8
     * keeps quality ...)"}); empty when the caller chose everything.
     */
    public Optional<String> precisionReason() {
        return Optional.ofNullable(precisionReason);
    }

    /** Name of the backend the weights are on. */
    public String backend() {
        return backendName;
    }

    public ModelConfig config() {
        return config;
    }

    public GenerationDefaults generationDefaults() {
        return generationDefaults;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /** The language model itself. */
    public CausalLM lm() {
        return lm;
    }

    /** Wall-clock time {@link #load} took. */
    public Duration loadTime() {
        return loadTime;
    }

    @Override
    public void close() {
        try {
            lm.close();
        } finally {
            tokenizer.close();
        }
    }
}
