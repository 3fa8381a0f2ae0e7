package dev.billionllm.core.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.config.JsonFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model folder's Hugging Face tokenizer: {@code tokenizer.json} run by DJL's binding of the Rust
 * tokenizers library, with {@code tokenizer_config.json} honoured the way transformers honours it.
 *
 * <pre>{@code
 * try (HfTokenizer tok = HfTokenizer.load(Path.of("models/tinyllama"))) {
 *     int[] ids = tok.encode("hello world", true);      // BOS added as the model expects
 *     String text = tok.decode(ids, true);               // "hello world"
 * }
 * }</pre>
 *
 * <p>What is taken from where, and why:
 * <ul>
 *   <li>Truncation and padding are always off: DJL's default truncates at 512 tokens, which would
 *       silently cut long prompts.
 *   <li>Special tokens ({@code bos/eos/unk/pad/additional_special_tokens}, strings or {@code
 *       {content: ...}} objects) and {@code added_tokens_decoder} are merged into the tokenizer's
 *       added tokens before it is built, so encode never splits them and decode can skip them, as
 *       transformers does when it loads the same files. A named special token that is in neither the
 *       vocabulary nor the added tokens is only reported by {@link #bosToken()} etc. (transformers
 *       would grow the vocabulary; real checkpoints never need that).
 *   <li>With special tokens, {@code tokenizer.json}'s post-processor decides what is added (DJL and
 *       transformers both run it). When {@code add_bos_token}/{@code add_eos_token} are set and
 *       disagree with it, BOS/EOS are added or left out as the flags say instead.
 *   <li>{@code clean_up_tokenization_spaces: true} applies transformers' clean-up to decoded text.
 * </ul>
 *
 * <p>Thread-safe: the native tokenizer is immutable after loading.
 */
public final class HfTokenizer implements Tokenizer {

    private static final Gson GSON = new Gson();

    private final HuggingFaceTokenizer native_;
    private final TokenizerConfig config;
    private final Map<String, Integer> tokenToId;
    private final Map<Integer, String> idToToken;
    private final int vocabSize;
    private final List<Integer> specialIds;
    private final int bosId;
    private final int eosId;
    // What the post-processor adds with special tokens, and what tokenizer_config.json asks for.
    private final boolean manualSpecials;
    private final boolean addBos;
    private final boolean addEos;

    private HfTokenizer(HuggingFaceTokenizer native_, TokenizerConfig config, Map<String, Integer> tokenToId,
            Set<Integer> specialIds) {
        this.native_ = native_;
        this.config = config;
        this.tokenToId = tokenToId;
        this.idToToken = new HashMap<>();
        for (Map.Entry<String, Integer> e : tokenToId.entrySet()) {
            idToToken.put(e.getValue(), e.getKey());
        }
        this.vocabSize = idToToken.size();
        this.specialIds = List.copyOf(new TreeSet<>(specialIds));
        this.bosId = config.bosToken() == null ? -1 : tokenToId(config.bosToken());
        this.eosId = config.eosToken() == null ? -1 : tokenToId(config.eosToken());

        long[] with = native_.encode("a", true, false).getIds();
        long[] plain = native_.encode("a", false, false).getIds();
        boolean postBos = with.length > plain.length && bosId >= 0 && with[0] == bosId;
        boolean postEos = with.length > plain.length && eosId >= 0 && with[with.length - 1] == eosId;
        this.addBos = config.addBosToken() != null ? config.addBosToken() && bosId >= 0 : postBos;
        this.addEos = config.addEosToken() != null ? config.addEosToken() && eosId >= 0 : postEos;
        this.manualSpecials = addBos != postBos || addEos != postEos;
    }

    /**
     * Loads {@code tokenizer.json} and (if present) {@code tokenizer_config.json} from {@code folder}.
     *
     * @throws ConfigException naming the missing or invalid file
     */
    public static HfTokenizer load(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new ConfigException("Tokenizer folder " + folder + " does not exist or is not a directory");
        }
        Path json = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new ConfigException("Missing " + json + ": billion-llm needs the fast tokenizer file "
                    + "(tokenizer.json); a folder with only a SentencePiece tokenizer.model can be converted "
                    + "with transformers: AutoTokenizer.from_pretrained(folder).save_pretrained(folder)");
        }
        TokenizerConfig config = TokenizerConfig.read(folder.resolve("tokenizer_config.json"));
        // Read once: the text is parsed here and, unless the config's tokens change it, handed to DJL as is.
        String text = JsonFiles.readText(json, JsonFiles.MAX_BYTES);
        JsonObject root = JsonFiles.parseObject(text, json.toString());

        Map<String, Integer> vocab = readVocab(json, root);
        JsonArray added = root.has("added_tokens") && root.get("added_tokens").isJsonArray()
                ? root.getAsJsonArray("added_tokens") : new JsonArray();
        Set<Integer> special = new LinkedHashSet<>();
        for (JsonElement e : added) {
            JsonObject t = e.getAsJsonObject();
            vocab.put(t.get("content").getAsString(), t.get("id").getAsInt());
            if (t.has("special") && t.get("special").getAsBoolean()) {
                special.add(t.get("id").getAsInt());
            }
        }
        List<TokenizerConfig.AddedToken> appended = new ArrayList<>();
        boolean changed = mergeConfigTokens(config, added, vocab, special, appended);
        if (changed) {
            root.add("added_tokens", added);
        }
        byte[] bytes = (changed ? GSON.toJson(root) : text).getBytes(StandardCharsets.UTF_8);

        HuggingFaceTokenizer tok;
        try {
            // Truncation and padding off: DJL would otherwise cut every input at 512 tokens.
            tok = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes),
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("Cannot build a tokenizer from " + json + ": " + e.getMessage(), e);
        }
        // The Rust side numbers tokens it did not know itself; a config id that disagrees would make
        // our id maps wrong, so check instead of trusting.
        for (TokenizerConfig.AddedToken t : appended) {
            long[] ids = tok.encode(t.content(), false, false).getIds();
            if (ids.length != 1 || ids[0] != t.id()) {
                tok.close();
                throw new ConfigException(folder.resolve("tokenizer_config.json") + ": added_tokens_decoder gives \""
                        + t.content() + "\" id " + t.id() + ", but " + json + " has no such token and assigns it "
                        + Arrays.toString(ids) + "; ids of new tokens must follow the vocabulary without gaps");
            }
        }
        return new HfTokenizer(tok, config, vocab, special);
    }

    /** Adds the config's added and named special tokens to tokenizer.json's added_tokens; true if any changed. */
    private static boolean mergeConfigTokens(TokenizerConfig config, JsonArray added, Map<String, Integer> vocab,
            Set<Integer> special, List<TokenizerConfig.AddedToken> appended) {
        boolean changed = false;
        Map<Integer, JsonObject> byId = new HashMap<>();
        for (JsonElement e : added) {
            byId.put(e.getAsJsonObject().get("id").getAsInt(), e.getAsJsonObject());
        }
        for (TokenizerConfig.AddedToken t : config.addedTokens()) {
            JsonObject existing = byId.get(t.id());
            if (existing != null && existing.get("content").getAsString().equals(t.content())) {
                boolean wasSpecial = existing.has("special") && existing.get("special").getAsBoolean();
                if (wasSpecial != t.special()) {
                    existing.addProperty("special", t.special());
                    changed = true;
                }
            } else {
                JsonObject o = addedToken(t.id(), t.content(), t.special());
                added.add(o);
                byId.put(t.id(), o);
                if (!vocab.containsKey(t.content())) {
                    appended.add(t);
                }
                vocab.put(t.content(), t.id());
                changed = true;
            }
            if (t.special()) {
                special.add(t.id());
            } else {
                special.remove(t.id());
            }
        }
        List<String> named = new ArrayList<>(config.additionalSpecialTokens());
        named.addAll(Arrays.asList(config.bosToken(), config.eosToken(), config.unkToken(), config.padToken()));
        for (String s : named) {
            Integer id = s == null ? null : vocab.get(s);
            if (id == null) {
                continue;
            }
            JsonObject existing = byId.get(id);
            if (existing == null) {
                // In the vocabulary but not an added token: transformers registers it as special.
                JsonObject o = addedToken(id, s, true);
                added.add(o);
                byId.put(id, o);
                changed = true;
            } else if (!(existing.has("special") && existing.get("special").getAsBoolean())) {
                existing.addProperty("special", true);
                changed = true;
            }
            special.add(id);
        }
        return changed;
    }

    private static JsonObject addedToken(int id, String content, boolean special) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("content", content);
        o.addProperty("single_word", false);
        o.addProperty("lstrip", false);
        o.addProperty("rstrip", false);
        // transformers' AddedToken default: special tokens are matched before normalisation.
        o.addProperty("normalized", !special);
        o.addProperty("special", special);
        return o;
    }

    private static Map<String, Integer> readVocab(Path file, JsonObject root) {
        JsonElement model = root.get("model");
        if (model == null || !model.isJsonObject() || !model.getAsJsonObject().has("vocab")) {
            throw new ConfigException(file + ": expected a \"model\" object with a \"vocab\"");
        }
        JsonElement v = model.getAsJsonObject().get("vocab");
        Map<String, Integer> vocab = new HashMap<>();
        if (v.isJsonObject()) { // BPE, WordPiece, WordLevel: {token: id}
            for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
                vocab.put(e.getKey(), e.getValue().getAsInt());
            }
        } else if (v.isJsonArray()) { // Unigram: [[piece, score], ...], id = index
            JsonArray a = v.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                vocab.put(a.get(i).getAsJsonArray().get(0).getAsString(), i);
            }
        } else {
            throw new ConfigException(file + ": model.vocab must be an object or an array, found " + v);
        }
        return vocab;
    }

    /** The parsed tokenizer_config.json ({@link TokenizerConfig#EMPTY} when the folder has none). */
    public TokenizerConfig config() {
        return config;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        if (!addSpecialTokens || !manualSpecials) {
            return toInts(native_.encode(text, addSpecialTokens, false).getIds(), 0, 0);
        }
        int[] ids = toInts(native_.encode(text, false, false).getIds(), addBos ? 1 : 0, addEos ? 1 : 0);
        if (addBos) {
            ids[0] = bosId;
        }
        if (addEos) {
            ids[ids.length - 1] = eosId;
        }
        return ids;
    }

    private static int[] toInts(long[] ids, int before, int after) {
        int[] out = new int[ids.length + before + after];
        for (int i = 0; i < ids.length; i++) {
            out[before + i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (!idToToken.containsKey(ids[i])) {
                throw new IllegalArgumentException("Token id " + ids[i] + " at position " + i
                        + " is not in the tokenizer (" + vocabSize + " tokens); model vocabularies are often "
                        + "padded past the tokenizer and such ids must not be generated");
            }
            l[i] = ids[i];
        }
        String text = native_.decode(l, skipSpecialTokens);
        return config.cleanUpTokenizationSpaces() ? cleanUp(text) : text;
    }

    /** transformers' {@code clean_up_tokenization}: removes spaces before punctuation and contractions. */
    static String cleanUp(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int tokenToId(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? -1 : id;
    }

    @Override
    public String idToToken(int id) {
        return idToToken.get(id);
    }

    @Override
    public String bosToken() {
        return config.bosToken();
    }

    @Override
    public String eosToken() {
        return config.eosToken();
    }

    @Override
    public String padToken() {
        return config.padToken();
    }

    /** UNK token string from tokenizer_config.json, or null. */
    public String unkToken() {
        return config.unkToken();
    }

    @Override
    public List<Integer> specialTokenIds() {
        return specialIds;
    }

    @Override
    public IncrementalDecoder newIncrementalDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    @Override
    public void close() {
        native_.close();
    }
}
