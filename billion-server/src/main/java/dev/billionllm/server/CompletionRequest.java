package dev.billionllm.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.Prompt;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * One validated {@code /v1/chat/completions} or {@code /v1/completions} request: the prompt as
 * token ids, and a {@link GenerationConfig} built from the model's generation_config.json
 * defaults overridden by the request, so the sampling fields get exactly {@code GenerationConfig}'s
 * validation. Every refusal is an {@link ApiError} naming the field.
 *
 * <p>Unknown fields are ignored, as OpenAI's own server does: clients add fields faster than
 * servers learn them. Fields OpenAI defines that this server does not implement are refused when
 * they ask for something other than their default (for example {@code n: 2} or {@code tools}).
 *
 * @param model the model to run
 * @param chat whether this is a chat completion (else a text completion)
 * @param promptIds the prompt as the model reads it (chat: rendered with the template)
 * @param config how to generate
 * @param stream answer as server-sent events
 * @param includeUsage stream a last chunk with the token usage
 * @param topLogprobs -1: no logprobs; else logprobs of each token plus this many alternatives
 */
record CompletionRequest(ServedModel model, boolean chat, int[] promptIds, GenerationConfig config,
        boolean stream, boolean includeUsage, int topLogprobs) {

    /** OpenAI's limit on {@code stop} entries. */
    static final int MAX_STOP_STRINGS = 4;
    /** OpenAI's limits on alternatives: 20 for chat {@code top_logprobs}, 5 for completions {@code logprobs}. */
    static final int MAX_TOP_LOGPROBS_CHAT = 20;
    static final int MAX_LOGPROBS_COMPLETIONS = 5;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    boolean wantsLogprobs() {
        return topLogprobs >= 0;
    }

    /**
     * Validates {@code body}.
     *
     * @param models looks a model id up; null when the server does not serve it
     * @param maxTokensCap the server's bound on {@code max_tokens}
     */
    static CompletionRequest parse(JsonObject body, boolean chat, Function<String, ServedModel> models,
            String servedIds, int maxTokensCap) {
        Fields f = new Fields(body);
        String modelId = f.requiredString("model");
        ServedModel model = models.apply(modelId);
        if (model == null) {
            throw ApiError.modelNotFound(modelId, servedIds);
        }
        refuseUnsupported(f, chat);

        Prompt prompt = chat ? Prompt.chat(messages(f)) : completionPrompt(f, model);
        int[] ids;
        try {
            ids = model.generator().encode(prompt);
        } catch (RuntimeException e) {
            // a template that raises on the conversation (e.g. roles out of order) is the client's input
            throw ApiError.invalid(chat ? "messages" : "prompt", "the prompt could not be rendered: " + e.getMessage());
        }
        if (ids.length == 0) {
            throw ApiError.invalid("prompt", "the prompt encodes to no tokens; send at least one character");
        }
        if (ids.length >= model.contextLength()) {
            throw ApiError.contextLengthExceeded(chat ? "messages" : "prompt",
                    "This model's maximum context length is " + model.contextLength()
                            + " tokens, but the prompt has " + ids.length + " tokens; shorten it to at most "
                            + (model.contextLength() - 1));
        }

        GenerationConfig.Builder b = model.defaultConfig().toBuilder();
        Integer maxTokens = f.optInt("max_completion_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens == null) {
            maxTokens = f.optInt("max_tokens", 1, Integer.MAX_VALUE);
        }
        if (maxTokens != null && maxTokens > maxTokensCap) {
            throw ApiError.invalid(body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                    "max_tokens is " + maxTokens + " but this server allows at most " + maxTokensCap);
        }
        int limit = maxTokens != null ? maxTokens : Math.min(maxTokensCap, model.defaultConfig().maxNewTokens());
        apply("max_tokens", () -> b.optMaxNewTokens(limit));
        Double temperature = f.optDouble("temperature");
        if (temperature != null) {
            apply("temperature", () -> b.optTemperature(temperature));
        }
        Double topP = f.optDouble("top_p");
        if (topP != null) {
            apply("top_p", () -> b.optTopP(topP));
        }
        Integer topK = f.optInt("top_k", Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (topK != null) {
            apply("top_k", () -> b.optTopK(topK));
        }
        Double minP = f.optDouble("min_p");
        if (minP != null) {
            apply("min_p", () -> b.optMinP(minP));
        }
        Double penalty = f.optDouble("repetition_penalty");
        if (penalty != null) {
            apply("repetition_penalty", () -> b.optRepetitionPenalty(penalty));
        }
        Long seed = f.optLong("seed");
        if (seed != null) {
            b.optSeed(seed);
        }
        List<String> stop = stopStrings(f);
        if (!stop.isEmpty()) {
            apply("stop", () -> b.optStopStrings(stop));
        }
        if (Boolean.TRUE.equals(f.optBoolean("ignore_eos"))) {
            b.optEosTokenIds(Set.of());
        }

        boolean stream = Boolean.TRUE.equals(f.optBoolean("stream"));
        boolean includeUsage = false;
        JsonObject streamOptions = f.optObject("stream_options");
        if (streamOptions != null) {
            if (!stream) {
                throw ApiError.invalid("stream_options", "stream_options is only allowed when stream is true");
            }
            includeUsage = Boolean.TRUE.equals(new Fields(streamOptions, "stream_options.").optBoolean("include_usage"));
        }
        return new CompletionRequest(model, chat, ids, b.build(), stream, includeUsage, topLogprobs(f, chat));
    }

    private static int topLogprobs(Fields f, boolean chat) {
        if (chat) {
            boolean logprobs = Boolean.TRUE.equals(f.optBoolean("logprobs"));
            Integer top = f.optInt("top_logprobs", 0, MAX_TOP_LOGPROBS_CHAT);
            if (top != null && !logprobs) {
                throw ApiError.invalid("top_logprobs", "top_logprobs needs logprobs: true");
            }
            return logprobs ? (top == null ? 0 : top) : -1;
        }
        Integer n = f.optInt("logprobs", 0, MAX_LOGPROBS_COMPLETIONS);
        return n == null ? -1 : n;
    }

    private static void refuseUnsupported(Fields f, boolean chat) {
        Integer n = f.optInt("n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) {
            throw ApiError.unsupported("n", "only n = 1 is supported (one choice per request), got " + n
                    + "; send " + n + " requests instead");
        }
        for (String penalty : List.of("frequency_penalty", "presence_penalty")) {
            Double v = f.optDouble(penalty);
            if (v != null && v != 0) {
                throw ApiError.unsupported(penalty, penalty + " is not supported (only 0); use repetition_penalty");
            }
        }
        JsonObject bias = f.optObject("logit_bias");
        if (bias != null && !bias.isEmpty()) {
            throw ApiError.unsupported("logit_bias", "logit_bias is not supported");
        }
        for (String tools : List.of("tools", "functions", "tool_choice", "function_call", "audio", "prediction")) {
            if (f.present(tools)) {
                throw ApiError.unsupported(tools, tools + " is not supported by this server");
            }
        }
        JsonObject format = f.optObject("response_format");
        if (format != null && !"text".equals(new Fields(format, "response_format.").optString("type"))) {
            throw ApiError.unsupported("response_format", "only response_format {\"type\": \"text\"} is supported");
        }
        if (!chat) {
            if (Boolean.TRUE.equals(f.optBoolean("echo"))) {
                throw ApiError.unsupported("echo", "echo is not supported");
            }
            if (f.optString("suffix") != null) {
                throw ApiError.unsupported("suffix", "suffix is not supported");
            }
            Integer bestOf = f.optInt("best_of", 1, Integer.MAX_VALUE);
            if (bestOf != null && bestOf != 1) {
                throw ApiError.unsupported("best_of", "only best_of = 1 is supported");
            }
        }
    }

    /** The conversation. Contents are data: they reach the template only as values of {@code messages}. */
    private static List<ChatMessage> messages(Fields f) {
        JsonArray array = f.requiredArray("messages");
        if (array.isEmpty()) {
            throw ApiError.invalid("messages", "messages must hold at least one message");
        }
        List<ChatMessage> messages = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String at = "messages[" + i + "]";
            JsonElement e = array.get(i);
            if (!e.isJsonObject()) {
                throw ApiError.invalid(at, at + " must be an object with role and content");
            }
            Fields m = new Fields(e.getAsJsonObject(), at + ".");
            String role = m.requiredString("role");
            if (!ROLES.contains(role)) {
                throw ApiError.invalid(at + ".role", at + ".role must be one of system, developer, user, assistant; got '"
                        + role + "' (tool messages are not supported)");
            }
            if (m.present("tool_calls") || m.present("function_call")) {
                throw ApiError.unsupported(at + ".tool_calls", "tool calls are not supported");
            }
            // OpenAI's "developer" role is the newer name of "system"; chat templates know only the latter
            messages.add(new ChatMessage("developer".equals(role) ? "system" : role, content(m, at)));
        }
        return messages;
    }

    private static String content(Fields m, String at) {
        JsonElement c = m.get("content");
        if (c != null && c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()) {
            return c.getAsString();
        }
        if (c != null && c.isJsonArray()) {
            // content parts: only text parts, concatenated as OpenAI does for text-only models
            StringBuilder text = new StringBuilder();
            JsonArray parts = c.getAsJsonArray();
            for (int p = 0; p < parts.size(); p++) {
                String partAt = at + ".content[" + p + "]";
                if (!parts.get(p).isJsonObject()) {
                    throw ApiError.invalid(partAt, partAt + " must be an object {\"type\": \"text\", \"text\": ...}");
                }
                Fields part = new Fields(parts.get(p).getAsJsonObject(), partAt + ".");
                String type = part.requiredString("type");
                if (!"text".equals(type)) {
                    throw ApiError.unsupported(partAt + ".type", "only text content parts are supported, got '" + type + "'");
                }
                text.append(part.requiredString("text"));
            }
            return text.toString();
        }
        throw ApiError.invalid(at + ".content", at + ".content must be a string or an array of text parts");
    }

    private static Prompt completionPrompt(Fields f, ServedModel model) {
        JsonElement p = f.get("prompt");
        if (p == null) {
            throw ApiError.invalid("prompt", "prompt is required");
        }
        if (p.isJsonPrimitive() && p.getAsJsonPrimitive().isString()) {
            return Prompt.text(p.getAsString());
        }
        if (p.isJsonArray()) {
            JsonArray a = p.getAsJsonArray();
            if (a.size() == 1 && a.get(0).isJsonPrimitive() && a.get(0).getAsJsonPrimitive().isString()) {
                return Prompt.text(a.get(0).getAsString());
            }
            if (!a.isEmpty() && a.get(0).isJsonPrimitive() && a.get(0).getAsJsonPrimitive().isNumber()) {
                int vocab = model.lm().usableVocabSize();
                int[] ids = new int[a.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = Fields.intValue(a.get(i), "prompt[" + i + "]", 0, vocab - 1);
                }
                return Prompt.ids(ids);
            }
        }
        throw ApiError.invalid("prompt", "prompt must be a string, a list of one string, or a non-empty list of token ids "
                + "(several prompts per request are not supported)");
    }

    private static List<String> stopStrings(Fields f) {
        JsonElement s = f.get("stop");
        if (s == null) {
            return List.of();
        }
        if (s.isJsonPrimitive() && s.getAsJsonPrimitive().isString()) {
            return List.of(s.getAsString());
        }
        if (s.isJsonArray() && s.getAsJsonArray().size() <= MAX_STOP_STRINGS) {
            List<String> stops = new ArrayList<>();
            for (JsonElement e : s.getAsJsonArray()) {
                if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                    throw ApiError.invalid("stop", "stop must hold strings only");
                }
                stops.add(e.getAsString());
            }
            return stops;
        }
        throw ApiError.invalid("stop", "stop must be a string or a list of at most " + MAX_STOP_STRINGS + " strings");
    }

    /** Runs a {@link GenerationConfig} setter, turning its refusal into a 400 naming the field. */
    private static void apply(String param, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(param, param + ": " + e.getMessage());
        }
    }

    /** Typed access to a JSON object's fields; a wrong type is a 400 naming the field. JSON null = absent. */
    static final class Fields {
        private final JsonObject o;
        private final String prefix;

        Fields(JsonObject o) {
            this(o, "");
        }

        Fields(JsonObject o, String prefix) {
            this.o = o;
            this.prefix = prefix;
        }

        JsonElement get(String name) {
            JsonElement e = o.get(name);
            return e == null || e.isJsonNull() ? null : e;
        }

        boolean present(String name) {
            return get(name) != null;
        }

        String requiredString(String name) {
            String s = optString(name);
            if (s == null) {
                throw ApiError.invalid(prefix + name, prefix + name + " is required (a string)");
            }
            return s;
        }

        String optString(String name) {
            JsonElement e = get(name);
            if (e == null) {
                return null;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw ApiError.invalid(prefix + name, prefix + name + " must be a string, got " + kind(e));
            }
            return e.getAsString();
        }

        JsonArray requiredArray(String name) {
            JsonElement e = get(name);
            if (e == null || !e.isJsonArray()) {
                throw ApiError.invalid(prefix + name, prefix + name + " is required (an array), got " + kind(e));
            }
            return e.getAsJsonArray();
        }

        JsonObject optObject(String name) {
            JsonElement e = get(name);
            if (e == null) {
                return null;
            }
            if (!e.isJsonObject()) {
                throw ApiError.invalid(prefix + name, prefix + name + " must be an object, got " + kind(e));
            }
            return e.getAsJsonObject();
        }

        Boolean optBoolean(String name) {
            JsonElement e = get(name);
            if (e == null) {
                return null;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw ApiError.invalid(prefix + name, prefix + name + " must be true or false, got " + kind(e));
            }
            return e.getAsBoolean();
        }

        Double optDouble(String name) {
            JsonElement e = get(name);
            if (e == null) {
                return null;
            }
            BigDecimal v = number(e, name);
            double d = v.doubleValue();
            if (Double.isInfinite(d)) {
                throw ApiError.invalid(prefix + name, prefix + name + " is out of range: " + e);
            }
            return d;
        }

        Integer optInt(String name, int min, int max) {
            JsonElement e = get(name);
            return e == null ? null : intValue(e, prefix + name, min, max);
        }

        Long optLong(String name) {
            JsonElement e = get(name);
            if (e == null) {
                return null;
            }
            BigDecimal v = integral(e, prefix + name);
            try {
                return v.longValueExact();
            } catch (ArithmeticException x) {
                throw ApiError.invalid(prefix + name, prefix + name + " must fit in a signed 64-bit integer, got " + e);
            }
        }

        static int intValue(JsonElement e, String at, int min, int max) {
            BigDecimal v = integral(e, at);
            if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
                String range = min == Integer.MIN_VALUE ? "<= " + max : "in [" + min + ", " + max + "]";
                throw ApiError.invalid(at, at + " must be " + range + ", got " + e);
            }
            return v.intValueExact();
        }

        private static BigDecimal integral(JsonElement e, String at) {
            BigDecimal v = numberAt(e, at);
            try {
                return new BigDecimal(v.toBigIntegerExact());
            } catch (ArithmeticException x) {
                throw ApiError.invalid(at, at + " must be an integer, got " + e);
            }
        }

        private BigDecimal number(JsonElement e, String name) {
            return numberAt(e, prefix + name);
        }

        private static BigDecimal numberAt(JsonElement e, String at) {
            if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
                throw ApiError.invalid(at, at + " must be a number, got " + kind(e));
            }
            try {
                BigDecimal v = e.getAsBigDecimal();
                // a number with a huge exponent (1e999999999) would make exact arithmetic explode
                if (Math.abs((long) v.precision() - v.scale()) > 400) {
                    throw ApiError.invalid(at, at + " is out of range: " + e);
                }
                return v;
            } catch (NumberFormatException x) {
                // gson refuses numbers with huge exponents before we see them
                throw ApiError.invalid(at, at + " must be a number of ordinary size, got " + e);
            }
        }

        private static String kind(JsonElement e) {
            if (e == null || e.isJsonNull()) {
                return "nothing";
            }
            if (e.isJsonObject()) {
                return "an object";
            }
            if (e.isJsonArray()) {
                return "an array";
            }
            JsonPrimitive p = e.getAsJsonPrimitive();
            String text = p.toString();
            if (text.length() > 40) {
                text = text.substring(0, 40) + "...";
            }
            return (p.isString() ? "the string " : p.isBoolean() ? "the boolean " : "the number ") + text;
        }
    }
}
