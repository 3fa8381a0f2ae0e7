package dev.billionllm.core.config;

import com.google.gson.JsonObject;
import dev.billionllm.core.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads {@code generation_config.json} into {@link GenerationDefaults}. Understands
 * {@code bos_token_id}, {@code eos_token_id} (a number or a list), {@code pad_token_id},
 * {@code do_sample}, {@code temperature}, {@code top_k}, {@code top_p}, {@code min_p},
 * {@code repetition_penalty}, {@code max_new_tokens} and {@code max_length}; other keys
 * transformers writes ({@code transformers_version}, {@code use_cache}, ...) are ignored.
 * A null value counts as absent, as in transformers.
 *
 * <pre>{@code
 * GenerationDefaults d = GenerationConfigParser.parse(Path.of("models/tinyllama"));
 * }</pre>
 */
public final class GenerationConfigParser {

    /** The file name transformers uses. */
    public static final String FILE_NAME = "generation_config.json";

    private GenerationConfigParser() {}

    /**
     * Parses {@code generation_config.json} in a model folder (or the file itself). A missing file
     * is not an error: many models ship none, so the result is {@link GenerationDefaults#empty()}.
     *
     * @throws ConfigException when the file is unreadable, not JSON, or a field has a wrong type or value
     */
    public static GenerationDefaults parse(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
        if (!Files.exists(file)) {
            return GenerationDefaults.empty();
        }
        return parse(ModelConfigParser.readJson(file), file.toString());
    }

    /**
     * Parses a generation-config object.
     *
     * @param json the parsed object
     * @param source file name (and position) for error messages
     */
    public static GenerationDefaults parse(JsonObject json, String source) {
        ModelConfigParser.Fields f = new ModelConfigParser.Fields(json, source);
        GenerationDefaults.Builder b = GenerationDefaults.builder();
        set(f, "bos_token_id", () -> b.optBosTokenId(f.integer("bos_token_id", 0)));
        set(f, "eos_token_id", () -> b.optEosTokenIds(f.intList("eos_token_id")));
        set(f, "pad_token_id", () -> b.optPadTokenId(f.integer("pad_token_id", 0)));
        set(f, "do_sample", () -> b.optDoSample(f.bool("do_sample", false)));
        set(f, "temperature", () -> b.optTemperature(f.number("temperature", 0)));
        set(f, "top_k", () -> b.optTopK(f.integer("top_k", 0)));
        set(f, "top_p", () -> b.optTopP(f.number("top_p", 0)));
        set(f, "min_p", () -> b.optMinP(f.number("min_p", 0)));
        set(f, "repetition_penalty", () -> b.optRepetitionPenalty(f.number("repetition_penalty", 0)));
        set(f, "max_new_tokens", () -> b.optMaxNewTokens(f.integer("max_new_tokens", 0)));
        set(f, "max_length", () -> b.optMaxLength(f.integer("max_length", 0)));
        return b.build();
    }

    /** Runs one setter when the key is present, naming the source and field if its value is rejected. */
    private static void set(ModelConfigParser.Fields f, String key, Runnable setter) {
        if (!f.has(key)) {
            return;
        }
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(f.source + ": field \"" + key + "\": " + e.getMessage(), e);
        }
    }
}
