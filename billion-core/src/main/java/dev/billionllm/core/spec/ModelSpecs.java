package dev.billionllm.core.spec;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.arch.ArchitectureDeclaration;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.GenerationConfigParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads model specs from JSON spec files: one spec object, or a list of them. Keys (snake_case,
 * like the Hub's own files):
 *
 * <pre>{@code
 * {
 *   "id": "my-llama-1b",                        required, [a-z0-9._-]+
 *   "repo_id": "my-org/my-llama-1b",            required unless local_dir is given
 *   "local_dir": "../models/my-llama-1b",       optional, relative to the spec file's folder
 *   "revision": "main",                         optional, default "main"
 *   "family": "llama",                          required unless "architecture" is given: llama,
 *                                               stablelm, gpt_neox or qwen2
 *   "gated": false,                             optional, default false
 *   "licence": "apache-2.0",                    optional, default "unknown"
 *   "parameter_count": 1100048384,              optional, default 0 (unknown)
 *   "has_chat_template": true,                  optional, default false
 *   "description": "...",                       optional, default ""
 *   "generation": { "temperature": 0.7, ... }   optional, same keys as generation_config.json
 *   "architecture": { "model_type": "my_type",  optional: declares an unknown model_type as a
 *                     "like": "qwen2", ... }    built-in family with switches (ArchitectureDeclaration)
 * }
 * }</pre>
 *
 * Unknown keys are rejected, so that a typo ("license") does not silently drop a value.
 */
public final class ModelSpecs {

    private static final Set<String> KEYS = Set.of("id", "repo_id", "local_dir", "revision", "family", "gated",
            "licence", "parameter_count", "has_chat_template", "description", "generation", "architecture");
    private static final String KNOWN_KEYS = "id, repo_id, local_dir, revision, family, gated, licence,"
            + " parameter_count, has_chat_template, description, generation, architecture";

    private ModelSpecs() {}

    /**
     * Reads the specs in a JSON file (one object or a list of objects).
     *
     * @throws ConfigException naming the file, the spec and the field when the file is unreadable,
     *     not JSON, or a value is wrong
     * @throws UnsupportedModelException when a spec names a family billion-llm does not implement
     */
    public static List<ModelSpec> fromJson(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": spec file not found");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read spec file: " + e.getMessage(), e);
        }
        Path base = file.toAbsolutePath().getParent();
        return fromJson(text, file.toString(), base);
    }

    /**
     * Reads specs from JSON text.
     *
     * @param json one spec object or a list of them
     * @param source name for error messages (usually the file)
     * @param baseDir folder that a relative {@code local_dir} is resolved against
     */
    public static List<ModelSpec> fromJson(String json, String source, Path baseDir) {
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw new ConfigException(source + ": invalid JSON: " + e.getMessage(), e);
        }
        List<ModelSpec> specs = new ArrayList<>();
        if (root.isJsonObject()) {
            specs.add(parseSpec(root.getAsJsonObject(), source, baseDir));
        } else if (root.isJsonArray()) {
            JsonArray array = root.getAsJsonArray();
            for (int i = 0; i < array.size(); i++) {
                String where = source + ": spec[" + i + "]";
                if (!array.get(i).isJsonObject()) {
                    throw new ConfigException(where + ": expected a JSON object, got " + array.get(i));
                }
                specs.add(parseSpec(array.get(i).getAsJsonObject(), where, baseDir));
            }
        } else {
            throw new ConfigException(source + ": expected a spec object or a list of spec objects, got " + root);
        }
        return specs;
    }

    private static ModelSpec parseSpec(JsonObject json, String where, Path baseDir) {
        for (String key : json.keySet()) {
            if (!KEYS.contains(key)) {
                throw new ConfigException(where + ": unknown field \"" + key + "\"; known fields: " + KNOWN_KEYS);
            }
        }
        String idText = string(json, where, "id");
        String at = idText == null ? where : where + " (\"" + idText + "\")";
        ModelSpec.Builder b = ModelSpec.builder();
        set(at, "id", () -> b.setId(require(json, at, "id", idText)));
        optional(json, at, "architecture", e -> {
            if (!e.isJsonObject()) {
                throw wrong(at, "architecture", "an object declaring a model_type like a built-in family", e);
            }
            b.optArchitecture(ArchitectureDeclaration.parse(e.getAsJsonObject(), at + " architecture", null));
        });
        String familyText = json.has("architecture") ? string(json, at, "family")
                : require(json, at, "family", string(json, at, "family"));
        if (familyText != null) {
            Family family = Family.fromModelType(familyText);
            if (family == null) {
                throw new UnsupportedModelException(at + ": field \"family\": \"" + familyText
                        + "\" is not supported; supported: " + Family.supported()
                        + " (declare a new model_type with \"architecture\")");
            }
            b.setFamily(family);
        }
        optional(json, at, "repo_id", e -> set(at, "repo_id", () -> b.setRepoId(string(json, at, "repo_id"))));
        optional(json, at, "local_dir", e -> set(at, "local_dir",
                () -> b.optLocalDir(baseDir == null ? Path.of(string(json, at, "local_dir"))
                        : baseDir.resolve(string(json, at, "local_dir")).normalize())));
        optional(json, at, "revision", e -> set(at, "revision", () -> b.optRevision(string(json, at, "revision"))));
        optional(json, at, "gated", e -> b.optGated(bool(json, at, "gated")));
        optional(json, at, "licence", e -> set(at, "licence", () -> b.optLicence(string(json, at, "licence"))));
        optional(json, at, "parameter_count", e -> set(at, "parameter_count",
                () -> b.optParameterCount(longValue(json, at, "parameter_count"))));
        optional(json, at, "has_chat_template", e -> b.optHasChatTemplate(bool(json, at, "has_chat_template")));
        optional(json, at, "description", e -> b.optDescription(string(json, at, "description")));
        optional(json, at, "generation", e -> {
            if (!e.isJsonObject()) {
                throw wrong(at, "generation", "an object with generation_config.json keys", e);
            }
            b.optGenerationDefaults(GenerationConfigParser.parse(e.getAsJsonObject(), at + " generation"));
        });
        try {
            return b.build();
        } catch (IllegalArgumentException ex) {
            throw new ConfigException(at + ": " + ex.getMessage(), ex);
        }
    }

    private static String require(JsonObject json, String at, String key, String value) {
        if (value == null) {
            throw new ConfigException(at + ": missing required field \"" + key + "\"");
        }
        return value;
    }

    /** Runs {@code action} with the value when the key is present and not null. */
    private static void optional(JsonObject json, String at, String key, Consumer<JsonElement> action) {
        JsonElement e = json.get(key);
        if (e != null && !e.isJsonNull()) {
            action.accept(e);
        }
    }

    /** Runs a builder setter, naming the spec and field if it rejects the value. */
    private static void set(String at, String key, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ": field \"" + key + "\": " + e.getMessage(), e);
        }
    }

    private static String string(JsonObject json, String at, String key) {
        JsonElement e = json.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw wrong(at, key, "a string", e);
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject json, String at, String key) {
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw wrong(at, key, "true or false", e);
        }
        return e.getAsBoolean();
    }

    private static long longValue(JsonObject json, String at, String key) {
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw wrong(at, key, "an integer", e);
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        try {
            // BigDecimal keeps 1100048384 exact and rejects 1.5 instead of truncating it.
            return p.getAsBigDecimal().longValueExact();
        } catch (ArithmeticException ex) {
            throw wrong(at, key, "an integer", e);
        }
    }

    private static ConfigException wrong(String at, String key, String expected, JsonElement found) {
        return new ConfigException(at + ": field \"" + key + "\" must be " + expected + ", got " + found);
    }
}
