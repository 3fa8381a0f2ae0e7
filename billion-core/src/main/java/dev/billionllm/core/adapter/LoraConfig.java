package dev.billionllm.core.adapter;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.billionllm.core.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT {@code adapter_config.json} of type LORA, with the rules PEFT uses to decide which modules
 * an adapter touches ({@link #targets}) and how much ({@link #rank}, {@link #scaling}).
 *
 * <pre>{@code
 * LoraConfig c = LoraConfig.builder().setRank(8).optAlpha(16).optTargetModules(List.of("q_proj", "v_proj"))
 *         .optBaseModel("tinyllama").build();
 * double s = c.scaling("model.layers.0.self_attn.q_proj");   // 16 / 8
 * }</pre>
 *
 * <p>Supported: {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules} (list
 * of names or suffixes, a regular expression, or {@code "all-linear"}), {@code exclude_modules},
 * {@code use_rslora}, {@code rank_pattern}, {@code alpha_pattern}, {@code layers_to_transform},
 * {@code fan_in_fan_out} (every target here is an {@code nn.Linear}, for which PEFT itself resets it
 * to false). Refused with an error naming the key: DoRA, a bias other than "none", LoRA bias,
 * {@code modules_to_save}, layer replication, trainable tokens, target parameters and other PEFT
 * variants. Keys this class does not know are ignored, as newer PEFT versions add many that default
 * to "off".
 */
public final class LoraConfig {
    /** File name PEFT reads and writes. */
    public static final String FILE = "adapter_config.json";
    /** PEFT's shorthand for every linear layer except the output projection. */
    public static final String ALL_LINEAR = "all-linear";

    private final int rank;
    private final double alpha;
    private final double dropout;
    private final List<String> targetModules; // null when targetRegex is set
    private final String targetRegex;
    private final List<String> excludeModules;
    private final boolean useRslora;
    private final boolean fanInFanOut;
    private final Map<String, Integer> rankPattern;
    private final Map<String, Double> alphaPattern;
    private final List<Integer> layersToTransform; // empty: all layers
    private final String baseModel;

    private LoraConfig(Builder b) {
        this.rank = b.rank;
        this.alpha = b.alpha;
        this.dropout = b.dropout;
        this.targetModules = b.targetRegex == null ? List.copyOf(b.targetModules) : null;
        this.targetRegex = b.targetRegex;
        this.excludeModules = List.copyOf(b.excludeModules);
        this.useRslora = b.useRslora;
        this.fanInFanOut = b.fanInFanOut;
        this.rankPattern = Map.copyOf(b.rankPattern);
        this.alphaPattern = Map.copyOf(b.alphaPattern);
        this.layersToTransform = List.copyOf(b.layersToTransform);
        this.baseModel = b.baseModel;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().setRank(rank).optAlpha(alpha).optDropout(dropout).optUseRslora(useRslora)
                .optFanInFanOut(fanInFanOut).optRankPattern(rankPattern).optAlphaPattern(alphaPattern)
                .optLayersToTransform(layersToTransform).optExcludeModules(excludeModules).optBaseModel(baseModel);
        return targetRegex != null ? b.optTargetRegex(targetRegex) : b.optTargetModules(targetModules);
    }

    /** Default rank {@code r}. */
    public int rank() {
        return rank;
    }

    /** Default {@code lora_alpha}. */
    public double alpha() {
        return alpha;
    }

    /** Dropout on the LoRA input while training (inference ignores it). */
    public double dropout() {
        return dropout;
    }

    /** Target names or suffixes, or null when {@link #targetRegex()} is set. */
    public List<String> targetModules() {
        return targetModules;
    }

    /** The regular expression PEFT full-matches against module names, or null. */
    public String targetRegex() {
        return targetRegex;
    }

    public boolean useRslora() {
        return useRslora;
    }

    /** Layer indices the adapter is limited to; empty means all. */
    public List<Integer> layersToTransform() {
        return layersToTransform;
    }

    /** Spec id or Hub repo id of the base model, or null. */
    public String baseModel() {
        return baseModel;
    }

    /**
     * Whether the module {@code name} (a PEFT module name such as
     * {@code model.layers.3.self_attn.q_proj}) of layer {@code layer} is adapted, by PEFT's rule
     * ({@code check_target_module_exists}): a string target is full-matched as a regular
     * expression; a list entry matches the name or a suffix after a dot, and then
     * {@code layers_to_transform} restricts the layer. {@code all-linear} matches every module
     * {@link LoraTargets} lists (they exclude the output projection, as PEFT does).
     */
    public boolean targets(String name, int layer) {
        if (matchesList(excludeModules, name)) {
            return false;
        }
        if (targetRegex != null) {
            return Pattern.compile(targetRegex).matcher(name).matches();
        }
        boolean found = targetModules.contains(ALL_LINEAR) || matchesList(targetModules, name);
        return found && (layersToTransform.isEmpty() || layersToTransform.contains(layer));
    }

    private static boolean matchesList(List<String> names, String name) {
        for (String t : names) {
            if (name.equals(t) || name.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    /** Rank of module {@code name}: its {@code rank_pattern} entry, else {@code r}. */
    public int rank(String name) {
        String key = patternKey(rankPattern.keySet(), name);
        return key == null ? rank : rankPattern.get(key);
    }

    /** Alpha of module {@code name}: its {@code alpha_pattern} entry, else {@code lora_alpha}. */
    public double alpha(String name) {
        String key = patternKey(alphaPattern.keySet(), name);
        return key == null ? alpha : alphaPattern.get(key);
    }

    /** {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA, for module {@code name}. */
    public double scaling(String name) {
        int r = rank(name);
        return useRslora ? alpha(name) / Math.sqrt(r) : alpha(name) / r;
    }

    /** PEFT's {@code get_pattern_key}: a key matches a module name or a dotted suffix of it, as a regex. */
    private static String patternKey(Iterable<String> keys, String name) {
        for (String key : new TreeMap<>(toMap(keys)).keySet()) {
            Matcher m = Pattern.compile("(.*\\.)?(" + key + ")$").matcher(name);
            if (m.matches()) {
                return key;
            }
        }
        return null;
    }

    private static Map<String, String> toMap(Iterable<String> keys) {
        Map<String, String> m = new LinkedHashMap<>();
        keys.forEach(k -> m.put(k, k));
        return m;
    }

    /**
     * Parses an {@code adapter_config.json} object.
     *
     * @param source file name for error messages
     * @throws ConfigException for a missing or malformed key, or a PEFT feature this library does not implement
     */
    public static LoraConfig parse(JsonObject json, String source) {
        String peftType = string(json, "peft_type", source);
        if (!"LORA".equals(peftType)) {
            throw new ConfigException(source + ": peft_type is " + peftType + "; only LORA adapters are supported");
        }
        String task = json.has("task_type") && !json.get("task_type").isJsonNull()
                ? json.get("task_type").getAsString() : "CAUSAL_LM";
        if (!task.equals("CAUSAL_LM")) {
            throw new ConfigException(source + ": task_type is " + task + "; only CAUSAL_LM adapters apply to these models");
        }
        refuseIfTrue(json, "use_dora", "DoRA (weight-decomposed LoRA)", source);
        refuseIfTrue(json, "lora_bias", "LoRA bias terms (lora_bias)", source);
        refuseIfTrue(json, "use_qalora", "QA-LoRA", source);
        refuseIfTrue(json, "use_bdlora", "block-diagonal LoRA", source);
        for (String key : List.of("modules_to_save", "layer_replication", "trainable_token_indices",
                "target_parameters", "alora_invocation_tokens", "arrow_config", "megatron_config")) {
            JsonElement e = json.get(key);
            boolean empty = e == null || e.isJsonNull() || (e.isJsonArray() && e.getAsJsonArray().isEmpty())
                    || (e.isJsonObject() && e.getAsJsonObject().size() == 0);
            if (!empty) {
                throw new ConfigException(source + ": \"" + key + "\" is set (" + e
                        + "); this library applies only LoRA matrices, so it refuses the adapter rather than ignore it");
            }
        }
        String bias = json.has("bias") && !json.get("bias").isJsonNull() ? json.get("bias").getAsString() : "none";
        if (!bias.equals("none")) {
            throw new ConfigException(source + ": bias is \"" + bias + "\"; only \"none\" is supported (the adapter "
                    + "would carry trained biases that this library does not apply)");
        }
        Builder b = builder();
        try {
            b.setRank(json.get("r").getAsInt());
            b.optAlpha(json.has("lora_alpha") ? json.get("lora_alpha").getAsDouble() : 8);
            b.optDropout(json.has("lora_dropout") ? json.get("lora_dropout").getAsDouble() : 0);
            JsonElement targets = json.get("target_modules");
            if (targets == null || targets.isJsonNull()) {
                throw new ConfigException(source + ": target_modules is missing; name the adapted modules "
                        + "(e.g. [\"q_proj\", \"v_proj\"])");
            } else if (targets.isJsonPrimitive()) {
                String t = targets.getAsString();
                if (t.equals(ALL_LINEAR)) {
                    b.optTargetModules(List.of(ALL_LINEAR));
                } else {
                    b.optTargetRegex(t);
                }
            } else {
                b.optTargetModules(strings(targets.getAsJsonArray()));
            }
            JsonElement exclude = json.get("exclude_modules");
            if (exclude != null && !exclude.isJsonNull()) {
                if (!exclude.isJsonArray()) {
                    throw new ConfigException(source + ": exclude_modules as a regular expression is not supported; "
                            + "list the module names");
                }
                b.optExcludeModules(strings(exclude.getAsJsonArray()));
            }
            b.optUseRslora(bool(json, "use_rslora"));
            b.optFanInFanOut(bool(json, "fan_in_fan_out"));
            Map<String, Integer> ranks = new LinkedHashMap<>();
            if (json.has("rank_pattern") && json.get("rank_pattern").isJsonObject()) {
                json.getAsJsonObject("rank_pattern").entrySet().forEach(e -> ranks.put(e.getKey(), e.getValue().getAsInt()));
            }
            b.optRankPattern(ranks);
            Map<String, Double> alphas = new LinkedHashMap<>();
            if (json.has("alpha_pattern") && json.get("alpha_pattern").isJsonObject()) {
                json.getAsJsonObject("alpha_pattern").entrySet()
                        .forEach(e -> alphas.put(e.getKey(), e.getValue().getAsDouble()));
            }
            b.optAlphaPattern(alphas);
            JsonElement layers = json.get("layers_to_transform");
            if (layers != null && !layers.isJsonNull()) {
                List<Integer> list = new ArrayList<>();
                if (layers.isJsonArray()) {
                    layers.getAsJsonArray().forEach(e -> list.add(e.getAsInt()));
                } else {
                    list.add(layers.getAsInt());
                }
                b.optLayersToTransform(list);
            }
            JsonElement base = json.get("base_model_name_or_path");
            b.optBaseModel(base == null || base.isJsonNull() ? null : base.getAsString());
        } catch (ClassCastException | IllegalStateException | NumberFormatException | NullPointerException e) {
            throw new ConfigException(source + ": malformed LoRA config (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
        return b.build();
    }

    private static String string(JsonObject json, String key, String source) {
        JsonElement e = json.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new ConfigException(source + ": missing \"" + key + "\"; is this a PEFT adapter_config.json?");
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject json, String key) {
        JsonElement e = json.get(key);
        return e != null && !e.isJsonNull() && e.getAsBoolean();
    }

    private static void refuseIfTrue(JsonObject json, String key, String feature, String source) {
        if (bool(json, key)) {
            throw new ConfigException(source + ": \"" + key + "\" is true: " + feature
                    + " is not supported; only plain LoRA adapters load");
        }
    }

    private static List<String> strings(JsonArray a) {
        List<String> out = new ArrayList<>();
        a.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    /**
     * The JSON PEFT writes (same keys, sorted, two-space indent), with {@code inference_mode} true;
     * keys of PEFT features this library lacks are written with their "off" value so that PEFT
     * loads the file unchanged.
     */
    public String toJson() {
        JsonObject o = new JsonObject();
        JsonObject ranks = new JsonObject();
        new TreeMap<>(rankPattern).forEach(ranks::addProperty);
        JsonObject alphas = new JsonObject();
        new TreeMap<>(alphaPattern).forEach((k, v) -> alphas.add(k, number(v)));
        o.add("alpha_pattern", alphas);
        o.add("auto_mapping", JsonNull.INSTANCE);
        o.addProperty("base_model_name_or_path", baseModel);
        o.addProperty("bias", "none");
        o.add("exclude_modules", excludeModules.isEmpty() ? JsonNull.INSTANCE : array(excludeModules));
        o.addProperty("fan_in_fan_out", fanInFanOut);
        o.addProperty("inference_mode", true);
        o.addProperty("init_lora_weights", true);
        o.add("layer_replication", JsonNull.INSTANCE);
        o.add("layers_pattern", JsonNull.INSTANCE);
        if (layersToTransform.isEmpty()) {
            o.add("layers_to_transform", JsonNull.INSTANCE);
        } else {
            JsonArray a = new JsonArray();
            layersToTransform.forEach(a::add);
            o.add("layers_to_transform", a);
        }
        o.add("loftq_config", new JsonObject());
        o.add("lora_alpha", number(alpha));
        o.addProperty("lora_bias", false);
        o.add("lora_dropout", new JsonPrimitive(dropout));
        o.add("megatron_config", JsonNull.INSTANCE);
        o.addProperty("megatron_core", "megatron.core");
        o.add("modules_to_save", JsonNull.INSTANCE);
        o.addProperty("peft_type", "LORA");
        o.addProperty("r", rank);
        o.add("rank_pattern", ranks);
        o.add("revision", JsonNull.INSTANCE);
        if (targetRegex != null) {
            o.addProperty("target_modules", targetRegex);
        } else if (targetModules.equals(List.of(ALL_LINEAR))) {
            o.addProperty("target_modules", ALL_LINEAR);
        } else {
            o.add("target_modules", array(targetModules));
        }
        o.addProperty("task_type", "CAUSAL_LM");
        o.addProperty("use_dora", false);
        o.addProperty("use_rslora", useRslora);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(o);
    }

    /** An integral alpha is written as an int, as Python writes {@code lora_alpha=16}. */
    private static JsonPrimitive number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? new JsonPrimitive((long) v) : new JsonPrimitive(v);
    }

    private static JsonArray array(List<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoraConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return "LoraConfig[r=" + rank + ", alpha=" + alpha + ", targets="
                + (targetRegex != null ? targetRegex : targetModules) + "]";
    }

    /** Builds a {@link LoraConfig}; {@link #build()} checks every value. */
    public static final class Builder {
        private int rank;
        private double alpha = 8;
        private double dropout;
        private List<String> targetModules = List.of("q_proj", "v_proj");
        private String targetRegex;
        private List<String> excludeModules = List.of();
        private boolean useRslora;
        private boolean fanInFanOut;
        private Map<String, Integer> rankPattern = Map.of();
        private Map<String, Double> alphaPattern = Map.of();
        private List<Integer> layersToTransform = List.of();
        private String baseModel;

        private Builder() {}

        /** Rank {@code r} (required, at least 1). */
        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        /** {@code lora_alpha}; default 8 (PEFT's default). */
        public Builder optAlpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /** Dropout probability on the LoRA input while training, in [0, 1); default 0. */
        public Builder optDropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        /** Module names or suffixes ({@code q_proj}, {@code query_key_value}) or {@code all-linear}; default q_proj, v_proj. */
        public Builder optTargetModules(List<String> names) {
            this.targetModules = List.copyOf(names);
            this.targetRegex = null;
            return this;
        }

        /** A regular expression full-matched against module names, instead of a list. */
        public Builder optTargetRegex(String regex) {
            this.targetRegex = regex;
            return this;
        }

        /** Module names or suffixes never adapted; default none. */
        public Builder optExcludeModules(List<String> names) {
            this.excludeModules = List.copyOf(names);
            return this;
        }

        /** Scale by {@code alpha / sqrt(r)} (rsLoRA) instead of {@code alpha / r}; default false. */
        public Builder optUseRslora(boolean useRslora) {
            this.useRslora = useRslora;
            return this;
        }

        /** Recorded as read; every target here is a linear layer, for which PEFT treats it as false. */
        public Builder optFanInFanOut(boolean fanInFanOut) {
            this.fanInFanOut = fanInFanOut;
            return this;
        }

        /** Per-module ranks keyed by name or suffix pattern; default none. */
        public Builder optRankPattern(Map<String, Integer> pattern) {
            this.rankPattern = Map.copyOf(pattern);
            return this;
        }

        /** Per-module alphas keyed by name or suffix pattern; default none. */
        public Builder optAlphaPattern(Map<String, Double> pattern) {
            this.alphaPattern = Map.copyOf(pattern);
            return this;
        }

        /** Only these layer indices; default (empty) all. */
        public Builder optLayersToTransform(List<Integer> layers) {
            this.layersToTransform = List.copyOf(layers);
            return this;
        }

        /** Spec id or Hub repo id of the base model (never a local path); default null. */
        public Builder optBaseModel(String baseModel) {
            this.baseModel = baseModel;
            return this;
        }

        /** @throws IllegalArgumentException naming the bad value */
        public LoraConfig build() {
            if (rank < 1) {
                throw new IllegalArgumentException("LoRA rank r must be >= 1, got " + rank);
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
            }
            if (!Double.isFinite(alpha) || alpha <= 0) {
                throw new IllegalArgumentException("lora_alpha must be a positive number, got " + alpha);
            }
            if (targetRegex == null && targetModules.isEmpty()) {
                throw new IllegalArgumentException("target_modules is empty; name at least one module (q_proj, ...)");
            }
            if (targetRegex != null) {
                Pattern.compile(targetRegex);
            }
            rankPattern.forEach((k, v) -> {
                if (v < 1) {
                    throw new IllegalArgumentException("rank_pattern \"" + k + "\" must be >= 1, got " + v);
                }
            });
            if (baseModel != null && (baseModel.startsWith("/") || baseModel.matches("^[A-Za-z]:\\\\.*"))) {
                throw new IllegalArgumentException("base_model_name_or_path must be a spec id or Hub repo id, not the "
                        + "local path " + baseModel + " (the adapter would not be portable)");
            }
            Objects.requireNonNull(targetModules);
            return new LoraConfig(this);
        }
    }
}
