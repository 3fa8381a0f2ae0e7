package dev.billionllm.core.tokenize;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.config.JsonFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of {@code tokenizer_config.json} that change what transformers does.
 *
 * <p>Special tokens may be written as strings or as {@code {"content": ...}} objects (transformers
 * serialises {@code AddedToken}s that way); both are accepted. A missing file reads as {@link
 * #EMPTY}: transformers then relies on {@code tokenizer.json} alone.
 *
 * @param bosToken BOS token string, or null
 * @param eosToken EOS token string, or null
 * @param padToken PAD token string, or null
 * @param unkToken UNK token string, or null
 * @param additionalSpecialTokens {@code additional_special_tokens} (or {@code extra_special_tokens})
 * @param addBosToken {@code add_bos_token}, or null when the file does not say (then the
 *     {@code tokenizer.json} post-processor decides)
 * @param addEosToken {@code add_eos_token}, or null when the file does not say
 * @param cleanUpTokenizationSpaces {@code clean_up_tokenization_spaces} (default false)
 * @param addedTokens {@code added_tokens_decoder}, in file order
 * @param chatTemplates named chat templates; a plain string template is stored as {@code "default"}
 */
public record TokenizerConfig(
        String bosToken,
        String eosToken,
        String padToken,
        String unkToken,
        List<String> additionalSpecialTokens,
        Boolean addBosToken,
        Boolean addEosToken,
        boolean cleanUpTokenizationSpaces,
        List<AddedToken> addedTokens,
        Map<String, String> chatTemplates) {

    /** What a folder without tokenizer_config.json means. */
    public static final TokenizerConfig EMPTY =
            new TokenizerConfig(null, null, null, null, List.of(), null, null, false, List.of(), Map.of());

    /**
     * One entry of {@code added_tokens_decoder}.
     *
     * @param id token id (the JSON key)
     * @param content token string
     * @param special whether decode(skip_special_tokens) drops it
     */
    public record AddedToken(int id, String content, boolean special) {}

    public TokenizerConfig {
        additionalSpecialTokens = List.copyOf(additionalSpecialTokens);
        addedTokens = List.copyOf(addedTokens);
        chatTemplates = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates));
    }

    /** Reads {@code file}; a missing file gives {@link #EMPTY}. */
    public static TokenizerConfig read(Path file) {
        if (!Files.exists(file)) {
            return EMPTY;
        }
        JsonObject root = JsonFiles.readObject(file);
        List<String> extra = new ArrayList<>();
        for (String key : List.of("additional_special_tokens", "extra_special_tokens")) {
            JsonElement e = root.get(key);
            if (e != null && e.isJsonArray()) {
                for (JsonElement t : e.getAsJsonArray()) {
                    extra.add(tokenString(file, key, t));
                }
            }
        }
        List<AddedToken> added = new ArrayList<>();
        JsonElement atd = root.get("added_tokens_decoder");
        if (atd != null && !atd.isJsonNull()) {
            if (!atd.isJsonObject()) {
                throw new ConfigException(file + ": added_tokens_decoder must be an object {id: token}, found " + atd);
            }
            for (Map.Entry<String, JsonElement> e : atd.getAsJsonObject().entrySet()) {
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new ConfigException(file + ": added_tokens_decoder key must be an integer id, found \"" + e.getKey() + "\"");
                }
                String content = tokenString(file, "added_tokens_decoder." + id, e.getValue());
                boolean special = e.getValue().isJsonObject()
                        && e.getValue().getAsJsonObject().has("special")
                        && e.getValue().getAsJsonObject().get("special").getAsBoolean();
                added.add(new AddedToken(id, content, special));
            }
        }
        return new TokenizerConfig(
                optToken(file, root, "bos_token"),
                optToken(file, root, "eos_token"),
                optToken(file, root, "pad_token"),
                optToken(file, root, "unk_token"),
                extra,
                optBoolean(file, root, "add_bos_token"),
                optBoolean(file, root, "add_eos_token"),
                Boolean.TRUE.equals(optBoolean(file, root, "clean_up_tokenization_spaces")),
                added,
                chatTemplates(file, root.get("chat_template")));
    }

    private static Map<String, String> chatTemplates(Path file, JsonElement e) {
        Map<String, String> out = new LinkedHashMap<>();
        if (e == null || e.isJsonNull()) {
            return out;
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            out.put("default", e.getAsString());
            return out;
        }
        if (e.isJsonArray()) {
            // transformers' format for several templates: [{"name": ..., "template": ...}, ...]
            for (JsonElement item : e.getAsJsonArray()) {
                if (!item.isJsonObject() || !item.getAsJsonObject().has("name") || !item.getAsJsonObject().has("template")) {
                    throw new ConfigException(file + ": chat_template list entries must be {\"name\": ..., \"template\": ...}, found " + item);
                }
                out.put(item.getAsJsonObject().get("name").getAsString(), item.getAsJsonObject().get("template").getAsString());
            }
            return out;
        }
        throw new ConfigException(file + ": chat_template must be a string or a list of {name, template}, found " + kind(e));
    }

    private static String optToken(Path file, JsonObject root, String key) {
        JsonElement e = root.get(key);
        return e == null || e.isJsonNull() ? null : tokenString(file, key, e);
    }

    private static String tokenString(Path file, String key, JsonElement e) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")
                && e.getAsJsonObject().get("content").isJsonPrimitive()) {
            return e.getAsJsonObject().get("content").getAsString();
        }
        throw new ConfigException(file + ": " + key + " must be a string or an object with \"content\", found " + e);
    }

    private static Boolean optBoolean(Path file, JsonObject root, String key) {
        JsonElement e = root.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new ConfigException(file + ": " + key + " must be true or false, found " + e);
        }
        return e.getAsBoolean();
    }

    private static String kind(JsonElement e) {
        if (e.isJsonArray()) {
            return "an array";
        }
        if (e.isJsonObject()) {
            return "an object";
        }
        return e.isJsonNull() ? "null" : "the value " + e;
    }
}
