package dev.billionllm.core.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.UnsupportedModelException;
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
     * Parses a config.json object.
     *
     * @param json the parsed object
     * @param source file name for error messages
     */
    public static ModelConfig parse(JsonObject json, String source) {
        return ConfigValidation.check(parseUnchecked(json, source), source);
    }

    private static ModelConfig parseUnchecked(JsonObject json, String source) {
        Fields f = new Fields(json, source);
        String modelType = f.string("model_type", null);
        if (modelType == null) {
            throw new ConfigException(source + ": missing field \"model_type\" (supported: "
                    + Family.supported() + ")");
        }
        Family family = Family.fromModelType(modelType);
        if (family == null) {
            throw new UnsupportedModelException(source + ": model_type \"" + modelType
                    + "\" is not supported; supported model types: " + Family.supported());
        }
        int hidden = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        if (heads <= 0) {
            // Checked here, before hidden / heads below would divide by zero.
            throw new ConfigException(source + ": field \"num_attention_heads\" must be > 0, got " + heads);
        }
        int kvHeads = f.integer("num_key_value_heads", heads);
        int headDim = f.integer("head_dim", hidden / heads);
        // "head_dim": null (transformers 5 writes it for some models) counts as absent.
        if (!f.has("head_dim") && hidden % heads != 0) {
            throw new ConfigException(source + ": hidden_size " + hidden
                    + " is not divisible by num_attention_heads " + heads + " and head_dim is not given");
        }
        String hiddenAct = f.string("hidden_act", family == Family.GPT_NEOX ? "gelu" : "silu");
        Activation activation = Activation.fromHiddenAct(hiddenAct);
        if (activation == null) {
            throw new UnsupportedModelException(source + ": hidden_act \"" + hiddenAct
                    + "\" is not supported; supported: silu, gelu, gelu_new, gelu_pytorch_tanh");
        }
        String dtype = f.string("dtype", f.string("torch_dtype", "float32"));
        List<Integer> eos = f.intList("eos_token_id");
        int bos = f.integer("bos_token_id", -1);
        int pad = f.integer("pad_token_id", -1);
        int vocab = f.requiredInt("vocab_size");
        int inter = f.requiredInt("intermediate_size");
        int layers = f.requiredInt("num_hidden_layers");
        int maxPos = f.integer("max_position_embeddings", 2048);
        boolean tie = f.bool("tie_word_embeddings", false);

        try {
            switch (family) {
                case LLAMA: {
                    boolean attnBias = f.bool("attention_bias", false);
                    return new ModelConfig(family, vocab, hidden, inter, layers, heads, kvHeads, headDim, maxPos,
                            NormKind.RMS_NORM, f.number("rms_norm_eps", 1e-6), MlpKind.GATED, activation,
                            rope(f, 10000.0, 1.0, "rope_theta", null), attnBias, attnBias,
                            f.bool("mlp_bias", false), false, false, false, tie, bos, eos, pad, dtype);
                }
                case STABLELM:
                    return new ModelConfig(family, vocab, hidden, inter, layers, heads, kvHeads, headDim, maxPos,
                            NormKind.LAYER_NORM, f.number("layer_norm_eps", 1e-5), MlpKind.GATED, activation,
                            rope(f, 10000.0, 0.25, "rope_theta", "partial_rotary_factor"),
                            f.bool("use_qkv_bias", false), false, false, false, f.bool("qk_layernorm", false),
                            f.bool("use_parallel_residual", false), tie, bos, eos, pad, dtype);
                case GPT_NEOX: {
                    boolean attnBias = f.bool("attention_bias", true);
                    // GPT-NeoX keeps all heads for k and v; num_key_value_heads is not a NeoX key.
                    return new ModelConfig(family, vocab, hidden, inter, layers, heads, heads, headDim, maxPos,
                            NormKind.LAYER_NORM, f.number("layer_norm_eps", 1e-5), MlpKind.PLAIN, activation,
                            rope(f, 10000.0, 0.25, "rotary_emb_base", "rotary_pct"), attnBias, attnBias, true,
                            true, false, f.bool("use_parallel_residual", true), tie, bos, eos, pad, dtype);
                }
                default:
                    throw new AssertionError(family);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Rope parameters from either {@code rope_parameters} (transformers 5) or the flat keys plus
     * {@code rope_scaling} (transformers 4).
     */
    private static RopeConfig rope(Fields f, double defaultTheta, double defaultPartial, String thetaKey,
            String partialKey) {
        JsonObject params = f.object("rope_parameters");
        double theta;
        double partial;
        JsonObject scaling;
        if (params != null) {
            Fields p = new Fields(params, f.source + " rope_parameters");
            theta = p.number("rope_theta", defaultTheta);
            partial = p.number("partial_rotary_factor",
                    partialKey == null ? defaultPartial : f.number(partialKey, defaultPartial));
            scaling = params;
        } else {
            theta = f.number(thetaKey, f.number("rope_theta", defaultTheta));
            partial = partialKey == null ? defaultPartial : f.number(partialKey, defaultPartial);
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
