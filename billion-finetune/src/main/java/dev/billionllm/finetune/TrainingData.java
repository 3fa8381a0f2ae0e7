package dev.billionllm.finetune;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.chat.ChatTemplate;
import dev.billionllm.core.tokenize.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Reads a JSONL training file into {@link Example}s. Each line is one of:
 * <ul>
 *   <li>{@code {"messages": [{"role": ..., "content": ...}, ...]}}: rendered with the model's chat
 *       template; only the assistant turns (with the template's end-of-turn tokens) are trained.
 *   <li>{@code {"prompt": ..., "completion": ...}}: the completion and an end-of-sequence token
 *       are trained, the prompt is not.
 *   <li>{@code {"text": ...}}: every token is trained, followed by end-of-sequence.
 * </ul>
 * Trained spans are found by tokenising rendered prefixes: the tokens of the text up to the start
 * of a span are a prefix of the tokens of the whole text (as TRL's completion-only collator
 * assumes); sequences longer than {@code maxLength} are cut.
 *
 * <pre>{@code
 * List<Example> all = TrainingData.read(Path.of("data.jsonl"), tokenizer, template, eosId, 256);
 * TrainingData.Split split = TrainingData.split(all, 0.1, 42);
 * }</pre>
 */
public final class TrainingData {

    /** Training and held-out examples. */
    public record Split(List<Example> train, List<Example> eval) {}

    private TrainingData() {}

    /**
     * @param eosId appended to completions and texts, or -1 for none
     * @throws ConfigException naming the file, line and what was expected
     */
    public static List<Example> read(Path file, Tokenizer tokenizer, ChatTemplate template, int eosId, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length must be at least 2 tokens, got " + maxLength);
        }
        List<Example> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + ":" + number;
                JsonObject o;
                try {
                    JsonElement e = JsonParser.parseString(line);
                    if (!e.isJsonObject()) {
                        throw new ConfigException(where + ": expected a JSON object per line");
                    }
                    o = e.getAsJsonObject();
                } catch (JsonParseException e) {
                    throw new ConfigException(where + ": not valid JSON: " + e.getMessage(), e);
                }
                Example ex = parse(o, where, tokenizer, template, eosId).truncate(maxLength);
                if (ex.labelCount() > 0) {
                    out.add(ex);
                }
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the training data: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new ConfigException(file + ": no example with a trained token (empty file, or every completion cut by "
                    + "the max length " + maxLength + ")");
        }
        return out;
    }

    static Example parse(JsonObject o, String where, Tokenizer tokenizer, ChatTemplate template, int eosId) {
        if (o.has("messages")) {
            return chat(messages(o, where), where, tokenizer, template);
        }
        if (o.has("prompt") || o.has("completion")) {
            String prompt = string(o, "prompt", where);
            String completion = string(o, "completion", where);
            return spans(prompt, completion, tokenizer, eosId);
        }
        if (o.has("text")) {
            return spans("", string(o, "text", where), tokenizer, eosId);
        }
        throw new ConfigException(where + ": expected \"messages\", \"prompt\"/\"completion\" or \"text\"; found keys "
                + o.keySet());
    }

    private static String string(JsonObject o, String key, String where) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new ConfigException(where + ": \"" + key + "\" must be a string");
        }
        return e.getAsString();
    }

    private static List<ChatMessage> messages(JsonObject o, String where) {
        JsonElement e = o.get("messages");
        if (!e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
            throw new ConfigException(where + ": \"messages\" must be a non-empty list of {role, content}");
        }
        List<ChatMessage> list = new ArrayList<>();
        for (JsonElement m : e.getAsJsonArray()) {
            if (!m.isJsonObject()) {
                throw new ConfigException(where + ": each message must be an object with role and content");
            }
            list.add(new ChatMessage(string(m.getAsJsonObject(), "role", where),
                    string(m.getAsJsonObject(), "content", where)));
        }
        return list;
    }

    /**
     * A chat: the text is cut before each assistant turn (the rendering with the generation prompt)
     * and after it (the rendering through it); the assistant segments are trained, with the
     * template's own end-of-turn tokens, so no extra end-of-sequence token is added.
     */
    private static Example chat(List<ChatMessage> messages, String where, Tokenizer tokenizer, ChatTemplate template) {
        if (template == null) {
            throw new ConfigException(where + ": \"messages\" needs a chat template, and this model has none; use "
                    + "\"prompt\"/\"completion\" or \"text\" lines");
        }
        List<String> texts = new ArrayList<>();
        List<Boolean> trained = new ArrayList<>();
        String done = "";
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).role().equals("assistant")) {
                continue;
            }
            String before = template.render(messages.subList(0, i), true);
            String through = template.render(messages.subList(0, i + 1), false);
            if (!before.startsWith(done) || !through.startsWith(before)) {
                throw new ConfigException(where + ": the chat template does not render this conversation "
                        + "incrementally (a turn changes earlier text), so assistant tokens cannot be located");
            }
            texts.add(before.substring(done.length()));
            trained.add(false);
            texts.add(through.substring(before.length()));
            trained.add(true);
            done = through;
        }
        if (texts.isEmpty()) {
            throw new ConfigException(where + ": the conversation has no assistant message to learn from");
        }
        String full = template.render(messages, false);
        if (full.length() > done.length()) {
            texts.add(full.substring(done.length()));
            trained.add(false);
        }
        // Chat templates write their special tokens as text, so none are added.
        return segments(texts, trained, false, tokenizer, -1);
    }

    /** {@code prompt} is untrained context (may be empty); {@code completion} is trained, then {@code eosId}. */
    private static Example spans(String prompt, String completion, Tokenizer tokenizer, int eosId) {
        if (prompt.isEmpty()) {
            return segments(List.of(completion), List.of(true), true, tokenizer, eosId);
        }
        return segments(List.of(prompt, completion), List.of(false, true), true, tokenizer, eosId);
    }

    /**
     * Tokens of consecutive text segments, each trained or not. The whole text is tokenised at once
     * when the tokens of every prefix of segments are a prefix of its tokens (so no token straddles
     * a boundary and the ids are exactly what inference sees). Otherwise, as with a tokenizer that
     * merges whole phrases, each segment is tokenised on its own and the ids concatenated; a leading
     * space of a later segment is then dropped when the tokenizer adds one itself (SentencePiece's
     * prepended "▁"), so words are not doubled-spaced.
     */
    static Example segments(List<String> texts, List<Boolean> trained, boolean addSpecial, Tokenizer tokenizer,
            int eosId) {
        String full = String.join("", texts);
        int[] joint = tokenizer.encode(full, addSpecial);
        int[] cuts = new int[texts.size() + 1];
        boolean aligned = true;
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < texts.size() - 1 && aligned; i++) {
            prefix.append(texts.get(i));
            int[] p = tokenizer.encode(prefix.toString(), addSpecial);
            aligned = commonPrefix(p, joint) == p.length;
            cuts[i + 1] = p.length;
        }
        int[] ids;
        if (aligned) {
            ids = joint;
            cuts[texts.size()] = joint.length;
        } else {
            boolean prependsSpace = prependsSpace(tokenizer);
            List<int[]> parts = new ArrayList<>();
            int n = 0;
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                if (i > 0 && prependsSpace && t.startsWith(" ")) {
                    t = t.substring(1);
                }
                int[] part = tokenizer.encode(t, i == 0 && addSpecial);
                parts.add(part);
                n += part.length;
                cuts[i + 1] = n;
            }
            ids = new int[n];
            int at = 0;
            for (int[] part : parts) {
                System.arraycopy(part, 0, ids, at, part.length);
                at += part.length;
            }
        }
        int total = ids.length + (eosId >= 0 ? 1 : 0);
        int[] all = java.util.Arrays.copyOf(ids, total);
        boolean[] mask = new boolean[total];
        for (int i = 0; i < texts.size(); i++) {
            for (int t = cuts[i]; t < cuts[i + 1]; t++) {
                mask[t] = trained.get(i);
            }
        }
        if (eosId >= 0) {
            all[total - 1] = eosId;
            mask[total - 1] = true;
        }
        return new Example(all, mask);
    }

    /** Whether encoding "a" alone yields a token with SentencePiece's word-start marker. */
    private static boolean prependsSpace(Tokenizer tokenizer) {
        int[] ids = tokenizer.encode("a", false);
        return ids.length > 0 && tokenizer.idToToken(ids[0]).startsWith("\u2581");
    }

    /** Length of the common prefix: where a span starts even if the boundary token merged differently. */
    private static int commonPrefix(int[] prefix, int[] ids) {
        int n = Math.min(prefix.length, ids.length);
        int i = 0;
        while (i < n && prefix[i] == ids[i]) {
            i++;
        }
        return i;
    }

    /**
     * Shuffles with {@code seed} and holds out {@code evalFraction} of the examples (at least one
     * when the fraction is positive and there are two or more).
     */
    public static Split split(List<Example> all, double evalFraction, long seed) {
        if (!(evalFraction >= 0 && evalFraction < 1)) {
            throw new IllegalArgumentException("eval split must be in [0, 1), got " + evalFraction);
        }
        List<Example> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, new Random(seed));
        int eval = evalFraction == 0 ? 0 : Math.max(1, (int) Math.round(all.size() * evalFraction));
        if (eval >= shuffled.size()) {
            eval = shuffled.size() - 1;
        }
        return new Split(List.copyOf(shuffled.subList(eval, shuffled.size())), List.copyOf(shuffled.subList(0, eval)));
    }
}
