package dev.billionllm.core;

import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.chat.ChatTemplate;
import dev.billionllm.core.chat.ChatTemplates;
import dev.billionllm.core.config.GenerationConfigParser;
import dev.billionllm.core.config.GenerationDefaults;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.HfTokenizer;
import dev.billionllm.core.tokenize.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything needed to run one model folder: its config, tokenizer, chat template, generation
 * defaults, and the weights loaded on a backend.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("testdata/tiny-tinyllama"))) {
 *     GenerationResult r = model.generator().generate("the cat sat on",
 *             GenerationConfig.builder().optMaxNewTokens(16).build());
 *     System.out.println(r.text());
 * }
 * }</pre>
 *
 * <p>The model owns the weights and the tokenizer; {@link #close()} frees both. It is
 * thread-safe in the way {@link Generator} documents.
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

    private Model(Path folder, String backendName, ModelConfig config, GenerationDefaults defaults,
            Tokenizer tokenizer, ChatTemplate chatTemplate, CausalLM lm, Duration loadTime) {
        this.folder = folder;
        this.backendName = backendName;
        this.config = config;
        this.generationDefaults = defaults;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.lm = lm;
        this.loadTime = loadTime;
    }

    /** Loads {@code folder} on the default backend with engine defaults. */
    public static Model load(Path folder) {
        return load(folder, null, LoadOptions.defaults());
    }

    /**
     * Loads a model folder (config.json, tokenizer.json, weights).
     *
     * @param folder the model folder
     * @param backend backend name ("pytorch", "onnxruntime"), or null to pick one that can load the folder
     * @param options device, threads, variant
     */
    public static Model load(Path folder, String backend, LoadOptions options) {
        Objects.requireNonNull(folder, "folder");
        Objects.requireNonNull(options, "options");
        if (!Files.isDirectory(folder)) {
            throw new ConfigException(folder + ": not a model folder (expected a directory with config.json)");
        }
        return loadWith(folder, chooseBackend(folder, backend), options);
    }

    /**
     * Loads a model folder on a given backend instance (one not found by name, such as
     * {@code adapter.AdaptedBackend} with LoRA adapters).
     */
    public static Model loadWith(Path folder, Backend chosen, LoadOptions options) {
        Objects.requireNonNull(chosen, "backend");
        Objects.requireNonNull(options, "options");
        if (!Files.isDirectory(folder)) {
            throw new ConfigException(folder + ": not a model folder (expected a directory with config.json)");
        }
        if (!chosen.canLoad(folder)) {
            throw new ConfigException(folder + ": backend \"" + chosen.name() + "\" finds no weights it can read here");
        }
        long start = System.nanoTime();
        ModelConfig config = ModelConfigParser.parse(folder);
        GenerationDefaults defaults = GenerationConfigParser.parse(folder);
        HfTokenizer tokenizer = HfTokenizer.load(folder);
        try {
            ChatTemplate template = ChatTemplates.load(folder, tokenizer);
            LoadOptions effective = options.usableVocabSize() > 0 ? options
                    : options.withUsableVocabSize(Math.min(tokenizer.vocabSize(), config.vocabSize()));
            CausalLM lm = chosen.load(folder, config, effective);
            return new Model(folder, chosen.name(), config, defaults, tokenizer, template, lm,
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
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
            throw new ConfigException(folder + ": no backend can load this folder (expected model.safetensors, "
                    + "model.safetensors.index.json or an ONNX decoder such as model.onnx)");
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

    public Path folder() {
        return folder;
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
