package dev.billionllm.core.arch;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.arch.Architecture.Flag;
import dev.billionllm.core.arch.Architecture.QkvLayout;
import dev.billionllm.core.arch.Architecture.Text;
import dev.billionllm.core.arch.Architecture.Value;
import dev.billionllm.core.arch.TensorNames.Module;
import dev.billionllm.core.config.Activation;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.NormKind;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a declaration that makes an unknown {@code model_type} a built-in family with some switches
 * changed, so a new model runs on both backends without Java code. It is written as the
 * {@code "architecture"} object of a spec file, or as {@value #CONFIG_KEY} in the model's own
 * config.json:
 *
 * <pre>{@code
 * "architecture": {
 *   "model_type": "my_qwen",        the model_type it declares (in config.json: the config's own)
 *   "like": "qwen2",                a built-in family: llama, stablelm, gpt_neox, qwen2
 *   "qkv_bias": true,               every switch is optional and, when given, fixed:
 *   "output_bias": false,           config.json's key for it is no longer read
 *   "mlp_bias": false,
 *   "tie_word_embeddings": true,
 *   "qk_norm": false,
 *   "parallel_residual": false,
 *   "parallel_norm": "shared",      "shared" (the MLP reads the input norm) or "separate"
 *   "norm": "rms_norm",             "rms_norm" or "layer_norm"
 *   "mlp": "gated",                 "gated" or "plain"
 *   "qkv_layout": "separate",       "separate" or "per_head_interleaved"
 *   "partial_rotary_factor": 1.0,
 *   "activation": "silu",           a hidden_act value
 *   "tensor_names": { "q_proj": "transformer.h.{layer}.attn.q_proj", ... }
 * }
 * }</pre>
 *
 * Unknown keys are refused with the list of known ones: a model that needs something no switch
 * expresses must not run with a silently wrong forward pass.
 */
public final class ArchitectureDeclaration {

    /** The config.json key of a declaration inside the model's own config. */
    public static final String CONFIG_KEY = "billion_architecture";

    private static final List<String> SWITCHES = List.of("model_type", "like", "qkv_bias", "output_bias", "mlp_bias",
            "tie_word_embeddings", "qk_norm", "parallel_residual", "parallel_norm", "norm", "mlp", "qkv_layout",
            "partial_rotary_factor", "activation", "tensor_names");

    /** Features transformers models have that no switch here expresses, by the key that asks for them. */
    private static final Map<String, String> NOT_EXPRESSIBLE = Map.of(
            "sliding_window", "sliding-window attention",
            "use_sliding_window", "sliding-window attention",
            "num_experts", "mixture-of-experts layers",
            "num_local_experts", "mixture-of-experts layers",
            "rope_scaling", "a rope_scaling override (put it in config.json)",
            "alibi", "ALiBi positions");

    private ArchitectureDeclaration() {}

    /**
     * Parses a declaration.
     *
     * @param json the declaration object
     * @param source file (and place) for error messages
     * @param modelType the {@code model_type} it declares when the object has none (config.json's);
     *     null to require {@code "model_type"}
     * @throws ConfigException for a missing or wrong value, naming the source and key
     * @throws UnsupportedModelException for a key that asks for a feature billion-llm lacks, or a
     *     {@code like} that is no built-in family
     */
    public static Architecture parse(JsonObject json, String source, String modelType) {
        for (String key : json.keySet()) {
            if (!SWITCHES.contains(key)) {
                String feature = NOT_EXPRESSIBLE.get(key);
                if (feature != null) {
                    throw new UnsupportedModelException(source + ": \"" + key + "\" asks for " + feature
                            + ", which billion-llm does not implement; no switch can express it");
                }
                throw new ConfigException(source + ": unknown architecture switch \"" + key + "\"; known: "
                        + String.join(", ", SWITCHES));
            }
        }
        String declared = string(json, source, "model_type");
        String type = declared != null ? declared : modelType;
        if (type == null) {
            throw new ConfigException(source + ": missing field \"model_type\" (the model_type this declares)");
        }
        if (Family.fromModelType(type) != null) {
            throw new ConfigException(source + ": model_type \"" + type + "\" is built in; declare only model types"
                    + " billion-llm does not know");
        }
        String like = string(json, source, "like");
        if (like == null) {
            throw new ConfigException(source + ": missing field \"like\" (one of " + Family.supported() + ")");
        }
        Architecture base = Architectures.find(like);
        if (base == null) {
            throw new UnsupportedModelException(source + ": field \"like\": \"" + like
                    + "\" is not a built-in family; supported: " + Family.supported());
        }
        Architecture.Builder b = base.toBuilder().setModelType(type);
        flag(json, source, "qkv_bias", v -> b.optQkvBias(Flag.fixed(v)));
        flag(json, source, "output_bias", v -> b.optOutputBias(Flag.fixed(v)));
        flag(json, source, "mlp_bias", v -> b.optMlpBias(Flag.fixed(v)));
        flag(json, source, "tie_word_embeddings", v -> b.optTieWordEmbeddings(Flag.fixed(v)));
        flag(json, source, "qk_norm", v -> b.optQkNorm(Flag.fixed(v)));
        flag(json, source, "parallel_residual", v -> b.optParallelResidual(Flag.fixed(v)));
        String parallelNorm = choice(json, source, "parallel_norm", "shared", "separate");
        if (parallelNorm != null) {
            b.optParallelNormShared(parallelNorm.equals("shared"));
        }
        String norm = choice(json, source, "norm", "rms_norm", "layer_norm");
        if (norm != null) {
            b.optNormKind(NormKind.valueOf(norm.toUpperCase(Locale.ROOT)));
        }
        String mlp = choice(json, source, "mlp", "gated", "plain");
        if (mlp != null) {
            b.optMlpKind(MlpKind.valueOf(mlp.toUpperCase(Locale.ROOT)));
        }
        String layout = choice(json, source, "qkv_layout", "separate", "per_head_interleaved");
        if (layout != null) {
            b.optQkvLayout(QkvLayout.valueOf(layout.toUpperCase(Locale.ROOT)));
        }
        JsonElement partial = json.get("partial_rotary_factor");
        if (partial != null && !partial.isJsonNull()) {
            if (!partial.isJsonPrimitive() || !partial.getAsJsonPrimitive().isNumber()) {
                throw wrong(source, "partial_rotary_factor", "a number in (0, 1]", partial);
            }
            b.optPartialRotaryFactor(Value.fixed(partial.getAsDouble()));
        }
        String activation = string(json, source, "activation");
        if (activation != null) {
            if (Activation.fromHiddenAct(activation) == null) {
                throw new UnsupportedModelException(source + ": field \"activation\": \"" + activation
                        + "\" is not supported; supported: " + Activation.supportedNames());
            }
            b.optHiddenAct(Text.fixed(activation));
        }
        JsonElement names = json.get("tensor_names");
        if (names != null && !names.isJsonNull()) {
            if (!names.isJsonObject()) {
                throw wrong(source, "tensor_names", "an object of module name to template", names);
            }
            TensorNames t = base.tensorNames();
            for (Map.Entry<String, JsonElement> e : names.getAsJsonObject().entrySet()) {
                Module m = Module.ofKey(e.getKey());
                if (m == null) {
                    throw new ConfigException(source + ": tensor_names: unknown module \"" + e.getKey() + "\"; known: "
                            + Module.keys());
                }
                String template = string(names.getAsJsonObject(), source + " tensor_names", e.getKey());
                t = template == null ? t.without(m) : t.with(m, template);
            }
            b.optTensorNames(t);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * The declaration of {@code a} as {@link #parse} reads it (without {@code model_type}): its
     * {@code like} family and every value that differs from that family's. For writing a declared
     * model's config.json so that the folder describes itself.
     */
    public static JsonObject toJson(Architecture a) {
        Architecture base = Architectures.builtIn(a.family());
        JsonObject o = new JsonObject();
        o.addProperty("like", base.modelType());
        putIfChanged(o, "qkv_bias", a.qkvBias(), base.qkvBias());
        putIfChanged(o, "output_bias", a.outputBias(), base.outputBias());
        putIfChanged(o, "mlp_bias", a.mlpBias(), base.mlpBias());
        putIfChanged(o, "tie_word_embeddings", a.tieWordEmbeddings(), base.tieWordEmbeddings());
        putIfChanged(o, "qk_norm", a.qkNorm(), base.qkNorm());
        putIfChanged(o, "parallel_residual", a.parallelResidual(), base.parallelResidual());
        if (a.parallelNormShared() != base.parallelNormShared()) {
            o.addProperty("parallel_norm", a.parallelNormShared() ? "shared" : "separate");
        }
        if (a.normKind() != base.normKind()) {
            o.addProperty("norm", a.normKind().name().toLowerCase(Locale.ROOT));
        }
        if (a.mlpKind() != base.mlpKind()) {
            o.addProperty("mlp", a.mlpKind().name().toLowerCase(Locale.ROOT));
        }
        if (a.qkvLayout() != base.qkvLayout()) {
            o.addProperty("qkv_layout", a.qkvLayout().name().toLowerCase(Locale.ROOT));
        }
        if (!a.partialRotaryFactor().equals(base.partialRotaryFactor())) {
            o.addProperty("partial_rotary_factor", a.partialRotaryFactor().fallback());
        }
        if (!a.hiddenAct().equals(base.hiddenAct())) {
            o.addProperty("activation", a.hiddenAct().fallback());
        }
        JsonObject names = new JsonObject();
        for (Module m : Module.values()) {
            String mine = a.tensorNames().templates().get(m);
            String theirs = base.tensorNames().templates().get(m);
            if (mine == null && theirs != null) {
                names.add(m.key(), com.google.gson.JsonNull.INSTANCE);
            } else if (mine != null && !mine.equals(theirs)) {
                names.addProperty(m.key(), mine);
            }
        }
        if (names.size() > 0) {
            o.add("tensor_names", names);
        }
        return o;
    }

    private static void putIfChanged(JsonObject o, String key, Flag mine, Flag base) {
        if (!mine.equals(base)) {
            o.addProperty(key, mine.fallback());
        }
    }

    private interface BoolSetter {
        void set(boolean value);
    }

    private static void flag(JsonObject json, String source, String key, BoolSetter setter) {
        JsonElement e = json.get(key);
        if (e == null || e.isJsonNull()) {
            return;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw wrong(source, key, "true or false", e);
        }
        setter.set(e.getAsBoolean());
    }

    private static String choice(JsonObject json, String source, String key, String... allowed) {
        String v = string(json, source, key);
        if (v != null && !List.of(allowed).contains(v)) {
            throw new ConfigException(source + ": field \"" + key + "\" must be one of " + String.join(", ", allowed)
                    + ", got \"" + v + "\"");
        }
        return v;
    }

    private static String string(JsonObject json, String source, String key) {
        JsonElement e = json.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw wrong(source, key, "a string", e);
        }
        return e.getAsString();
    }

    private static ConfigException wrong(String source, String key, String expected, JsonElement found) {
        return new ConfigException(source + ": field \"" + key + "\" must be " + expected + ", got " + found);
    }
}
