package dev.billionllm.core.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.arch.Architecture;
import dev.billionllm.core.arch.ArchitectureDeclaration;
import dev.billionllm.core.arch.Architectures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads config.json into a {@link ModelConfig}. Accepts the keys transformers 4 writes
 * ({@code rope_theta}, {@code rope_scaling}, {@code rotary_pct}, {@code rotary_emb_base},
 * {@code partial_rotary_factor}, {@code torch_dtype}) and those transformers 5 writes
 * ({@code rope_parameters}, {@code dtype}); defaults follow each family's configuration class
 * in transformers.
 */
public final class ModelConfigParser {

    private ModelConfigParser() {}

    /** Parses {@code config.json} in a model folder (or the file itself). */
    public static ModelConfig parse(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        return parse(readJson(file), file.toString());
    }

    /** Reads a JSON object from a file, with errors that name the file. */
    public static JsonObject readJson(Path file) {
        return JsonFiles.readObject(file);
    }

    /**
     * Parses a config.json object of a built-in family, or of a {@code model_type} the object itself
     * declares under {@value ArchitectureDeclaration#CONFIG_KEY}.
     *
     * @param json the parsed object
     * @param source file name for error messages
     */
    public static ModelConfig parse(JsonObject json, String source) {
        return parse(json, source, null);
    }

    /**
     * Parses {@code config.json} in a model folder (or the file itself), with an architecture
     * declared elsewhere (a spec file's {@code "architecture"}) for its {@code model_type}.
     *
     * @param declared used when its {@code model_type} is the config's; null for none
     */
    public static ModelConfig parse(Path path, Architecture declared) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        return parse(readJson(file), file.toString(), declared);
    }

    /**
     * Parses a config.json object. Every key name and default comes from the model's
     * {@link Architecture}: {@code declared} when it describes this {@code model_type}, else a
     * declaration inside the object, else the built-in family of that {@code model_type}.
     *
     * @param declared an architecture declared elsewhere, or null
     */
    public static ModelConfig parse(JsonObject json, String source, Architecture declared) {
        return ConfigValidation.check(parseUnchecked(json, source, declared), source);
    }

    private static ModelConfig parseUnchecked(JsonObject json, String source, Architecture declared) {
        Fields f = new Fields(json, source);
        String modelType = f.string("model_type", null);
        if (modelType == null) {
            throw new ConfigException(source + ": missing field \"model_type\" (supported: "
                    + Family.supported() + ")");
        }
        Architecture arch = architecture(f, modelType, declared);
        refuseInexpressibleFeatures(f);
        int hidden = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        if (heads <= 0) {
            // Checked here, before hidden / heads below would divide by zero.
            throw new ConfigException(source + ": field \"num_attention_heads\" must be > 0, got " + heads);
        }
        int kvHeads = arch.kvHeadsKey() == null ? heads : f.integer(arch.kvHeadsKey(), heads);
        int headDim = f.integer("head_dim", hidden / heads);
        // "head_dim": null (transformers 5 writes it for some models) counts as absent.
        if (!f.has("head_dim") && hidden % heads != 0) {
            throw new ConfigException(source + ": hidden_size " + hidden
                    + " is not divisible by num_attention_heads " + heads + " and head_dim is not given");
        }
        String hiddenAct = text(f, arch.hiddenAct());
        Activation activation = Activation.fromHiddenAct(hiddenAct);
        if (activation == null) {
            throw new UnsupportedModelException(source + ": hidden_act \"" + hiddenAct
                    + "\" is not supported; supported: " + Activation.supportedNames());
        }
        String dtype = f.string("dtype", f.string("torch_dtype", "float32"));
        List<Integer> eos = f.intList("eos_token_id");
        int bos = f.integer("bos_token_id", -1);
        int pad = f.integer("pad_token_id", -1);
        int vocab = f.requiredInt("vocab_size");
        int inter = f.requiredInt("intermediate_size");
        int layers = f.requiredInt("num_hidden_layers");
        int maxPos = f.integer("max_position_embeddings", 2048);
        try {
            return new ModelConfig(arch, vocab, hidden, inter, layers, heads, kvHeads, headDim, maxPos,
                    arch.normKind(), value(f, arch.normEps()), arch.mlpKind(), activation, rope(f, arch),
                    flag(f, arch.qkvBias()), flag(f, arch.outputBias()), flag(f, arch.mlpBias()),
                    arch.qkvLayout() == Architecture.QkvLayout.PER_HEAD_INTERLEAVED, flag(f, arch.qkNorm()),
                    flag(f, arch.parallelResidual()), flag(f, arch.tieWordEmbeddings()), bos, eos, pad, dtype);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /** The architecture that describes {@code modelType}: declared elsewhere, declared inside, or built in. */
    private static Architecture architecture(Fields f, String modelType, Architecture declared) {
        if (declared != null && declared.modelType().equals(modelType)) {
            return declared;
        }
        JsonObject inside = f.object(ArchitectureDeclaration.CONFIG_KEY);
        if (inside != null) {
            return ArchitectureDeclaration.parse(inside, f.source + " " + ArchitectureDeclaration.CONFIG_KEY,
                    modelType);
        }
        Architecture builtIn = Architectures.find(modelType);
        if (builtIn == null) {
            throw new UnsupportedModelException(f.source + ": model_type \"" + modelType
                    + "\" is not supported; supported model types: " + Family.supported()
                    + ". If it is one of these with other switches, declare it (an \"architecture\" in a spec"
                    + " file, or \"" + ArchitectureDeclaration.CONFIG_KEY + "\" in config.json; see docs/model-specs.md)");
        }
        return builtIn;
    }

    /**
     * Refuses configs that ask for attention or layer types no architecture here implements, naming
     * the feature, instead of running a different model than the checkpoint's.
     */
    private static void refuseInexpressibleFeatures(Fields f) {
        // Qwen2 writes sliding_window with use_sliding_window false; Mistral v0.1 writes only sliding_window.
        boolean slidingOn = f.has("use_sliding_window") ? f.bool("use_sliding_window", false)
                : f.has("sliding_window") && f.integer("sliding_window", 0) < f.integer("max_position_embeddings",
                        2048);
        if (slidingOn) {
            throw new UnsupportedModelException(f.source + ": sliding-window attention (use_sliding_window /"
                    + " sliding_window) is not implemented; billion-llm attends over the whole context");
        }
        for (String key : new String[] {"num_experts", "num_local_experts"}) {
            if (f.has(key) && f.integer(key, 0) > 1) {
                throw new UnsupportedModelException(f.source + ": mixture-of-experts layers (" + key + " "
                        + f.integer(key, 0) + ") are not implemented");
            }
        }
    }

    private static boolean flag(Fields f, Architecture.Flag s) {
        return s.key() == null ? s.fallback() : f.bool(s.key(), s.fallback());
    }

    private static double value(Fields f, Architecture.Value s) {
        return s.key() == null ? s.fallback() : f.number(s.key(), s.fallback());
    }

    private static String text(Fields f, Architecture.Text s) {
        return s.key() == null ? s.fallback() : f.string(s.key(), s.fallback());
    }

    /**
     * Rope parameters from either {@code rope_parameters} (transformers 5) or the flat keys plus
     * {@code rope_scaling} (transformers 4); the theta and rotary-fraction keys are the
     * architecture's ({@code rope_theta} is also read when the family's own key is absent).
     */
    private static RopeConfig rope(Fields f, Architecture arch) {
        Architecture.Value thetaKey = arch.ropeTheta();
        Architecture.Value partialKey = arch.partialRotaryFactor();
        double defaultTheta = thetaKey.fallback();
        double flatPartial = value(f, partialKey);
        JsonObject params = f.object("rope_parameters");
        double theta;
        double partial;
        JsonObject scaling;
        if (params != null) {
            Fields p = new Fields(params, f.source + " rope_parameters");
            theta = p.number("rope_theta", defaultTheta);
            partial = p.number("partial_rotary_factor", flatPartial);
            scaling = params;
        } else {
            theta = thetaKey.key() == null ? defaultTheta
                    : f.number(thetaKey.key(), f.number("rope_theta", defaultTheta));
            partial = flatPartial;
            scaling = f.object("rope_scaling");
        }
        if (scaling == null) {
            return new RopeConfig(RopeType.DEFAULT, theta, partial, 1, 1, 1, 0);
        }
        Fields s = new Fields(scaling, f.source + (params != null ? " rope_parameters" : " rope_scaling"));
        // Hub configs written before transformers 4.45 name the key "type".
        String type = s.string("rope_type", s.string("type", "default"));
        switch (type) {
            case "default":
                return new RopeConfig(RopeType.DEFAULT, theta, partial, 1, 1, 1, 0);
            case "linear":
                return new RopeConfig(RopeType.LINEAR, theta, partial, s.requiredNumber("factor"), 1, 1, 0);
            case "llama3":
                return new RopeConfig(RopeType.LLAMA3, theta, partial, s.requiredNumber("factor"),
                        s.requiredNumber("low_freq_factor"), s.requiredNumber("high_freq_factor"),
                        s.requiredInt("original_max_position_embeddings"));
            default:
                throw new UnsupportedModelException(f.source + ": rope_type \"" + type
                        + "\" is not supported; supported: default, linear, llama3");
        }
    }

    /** Typed access to a JSON object with errors that name the source and field. */
    static final class Fields {
        final JsonObject json;
        final String source;

        Fields(JsonObject json, String source) {
            this.json = json;
            this.source = source;
        }

        /** Whether the key is present with a non-null value. */
        boolean has(String key) {
            return get(key) != null;
        }

        private JsonElement get(String key) {
            JsonElement e = json.get(key);
            return e == null || e.isJsonNull() ? null : e;
        }

        private ConfigException wrong(String key, String expected) {
            return new ConfigException(source + ": field \"" + key + "\" must be " + expected + ", got "
                    + json.get(key));
        }

        String string(String key, String def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw wrong(key, "a string");
            }
            return e.getAsString();
        }

        double number(String key, double def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw wrong(key, "a number");
            }
            return e.getAsDouble();
        }

        double requiredNumber(String key) {
            if (get(key) == null) {
                throw new ConfigException(source + ": missing required field \"" + key + "\"");
            }
            return number(key, 0);
        }

        int integer(String key, int def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw wrong(key, "an integer");
            }
            double d = e.getAsDouble();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw wrong(key, "an integer");
            }
            return (int) d;
        }

        int requiredInt(String key) {
            if (get(key) == null) {
                throw new ConfigException(source + ": missing required field \"" + key + "\"");
            }
            return integer(key, 0);
        }

        boolean bool(String key, boolean def) {
            JsonElement e = get(key);
            if (e == null) {
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw wrong(key, "true or false");
            }
            return e.getAsBoolean();
        }

        JsonObject object(String key) {
            JsonElement e = get(key);
            if (e == null) {
                return null;
            }
            if (!e.isJsonObject()) {
                throw wrong(key, "an object");
            }
            return e.getAsJsonObject();
        }

        /** A number or a list of numbers (eos_token_id); empty when absent. */
        List<Integer> intList(String key) {
            JsonElement e = get(key);
            List<Integer> out = new ArrayList<>();
            if (e == null) {
                return out;
            }
            if (e.isJsonArray()) {
                JsonArray a = e.getAsJsonArray();
                for (JsonElement x : a) {
                    // getAsInt() would silently truncate 2.5 or wrap 1e10, so check the value first.
                    if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()
                            || x.getAsDouble() != Math.rint(x.getAsDouble())
                            || Math.abs(x.getAsDouble()) > Integer.MAX_VALUE) {
                        throw wrong(key, "an integer or a list of integers");
                    }
                    out.add(x.getAsInt());
                }
                return out;
            }
            out.add(integer(key, -1));
            return out;
        }
    }
}
