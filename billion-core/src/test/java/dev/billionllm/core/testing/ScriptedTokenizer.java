package dev.billionllm.core.testing;

import dev.billionllm.core.tokenize.IncrementalDecoder;
import dev.billionllm.core.tokenize.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A tiny, transparent {@link Tokenizer} for unit tests: id {@code i} is the {@code i}-th string of
 * a list you give. Encoding takes the longest matching token at each point (special tokens
 * included) and falls back to byte tokens {@code <0xNN>} for characters it lacks, as SentencePiece
 * byte fallback does; decoding joins the strings and turns runs of byte tokens into UTF-8 (an
 * incomplete character becomes U+FFFD).
 *
 * <pre>{@code
 * ScriptedTokenizer tok = ScriptedTokenizer.builder()
 *         .addTokens("<s>", "</s>", "hello", " world", "!")
 *         .optBosToken("<s>").optEosToken("</s>")
 *         .build();
 * tok.encode("hello world!", true); // [0, 2, 3, 4]
 * }</pre>
 */
public final class ScriptedTokenizer implements Tokenizer {
    private final List<String> tokens;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Set<Integer> special = new LinkedHashSet<>();
    private final String bos;
    private final String eos;
    private final String pad;
    private final boolean addBos;
    private final int maxTokenLength;

    private ScriptedTokenizer(Builder b) {
        this.tokens = List.copyOf(b.tokens);
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.putIfAbsent(tokens.get(i), i) != null) {
                throw new IllegalArgumentException("token \"" + tokens.get(i) + "\" appears twice");
            }
        }
        this.bos = b.bos;
        this.eos = b.eos;
        this.pad = b.pad;
        this.addBos = b.addBos && bos != null;
        for (String s : b.special) {
            special.add(requireToken(s));
        }
        for (String s : new String[] {bos, eos, pad}) {
            if (s != null) {
                special.add(requireToken(s));
            }
        }
        this.maxTokenLength = tokens.stream().mapToInt(String::length).max().orElse(1);
    }

    /** An empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Token string of a byte token, {@code <0xNN>}. */
    public static String byteToken(int b) {
        return String.format("<0x%02X>", b & 0xff);
    }

    /** The 256 byte tokens {@code <0x00>} to {@code <0xFF>}, in order. */
    public static List<String> byteTokens() {
        List<String> out = new ArrayList<>(256);
        for (int b = 0; b < 256; b++) {
            out.add(byteToken(b));
        }
        return out;
    }

    private int requireToken(String s) {
        Integer id = ids.get(s);
        if (id == null) {
            throw new IllegalArgumentException("special token \"" + s + "\" is not in the vocabulary");
        }
        return id;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        List<Integer> out = new ArrayList<>();
        if (addSpecialTokens && addBos) {
            out.add(ids.get(bos));
        }
        int i = 0;
        while (i < text.length()) {
            int matched = 0;
            for (int len = Math.min(maxTokenLength, text.length() - i); len > 0; len--) {
                Integer id = ids.get(text.substring(i, i + len));
                if (id != null) {
                    out.add(id);
                    matched = len;
                    break;
                }
            }
            if (matched == 0) {
                int cp = text.codePointAt(i);
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    Integer id = ids.get(byteToken(b));
                    if (id == null) {
                        throw new IllegalArgumentException("cannot encode '" + new String(Character.toChars(cp))
                                + "' at index " + i + ": no token and no byte token " + byteToken(b));
                    }
                    out.add(id);
                }
                matched = Character.charCount(cp);
            }
            i += matched;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        IncrementalDecoder d = newIncrementalDecoder(skipSpecialTokens);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.add(id));
        }
        return sb.append(d.flush()).toString();
    }

    @Override
    public int vocabSize() {
        return tokens.size();
    }

    @Override
    public int tokenToId(String token) {
        return ids.getOrDefault(token, -1);
    }

    @Override
    public String idToToken(int id) {
        return id >= 0 && id < tokens.size() ? tokens.get(id) : null;
    }

    @Override
    public String bosToken() {
        return bos;
    }

    @Override
    public String eosToken() {
        return eos;
    }

    @Override
    public String padToken() {
        return pad;
    }

    @Override
    public List<Integer> specialTokenIds() {
        return List.copyOf(special);
    }

    @Override
    public IncrementalDecoder newIncrementalDecoder(boolean skipSpecialTokens) {
        return new IncrementalDecoder() {
            private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

            @Override
            public String add(int id) {
                String token = idToToken(id);
                if (token == null) {
                    throw new IllegalArgumentException("id " + id + " is outside the vocabulary [0, " + tokens.size() + ")");
                }
                int b = byteValue(token);
                if (b >= 0) {
                    bytes.write(b);
                    return completeCharacters();
                }
                String held = flush();
                return skipSpecialTokens && special.contains(id) ? held : held + token;
            }

            @Override
            public String flush() {
                String s = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
                bytes.reset();
                return s;
            }

            /** Emits the bytes that form whole UTF-8 characters; keeps an unfinished tail. */
            private String completeCharacters() {
                byte[] buf = bytes.toByteArray();
                int end = buf.length;
                // walk back over at most 3 continuation bytes to the last lead byte
                int i = end - 1;
                while (i > 0 && end - i < 4 && (buf[i] & 0xC0) == 0x80) {
                    i--;
                }
                int lead = buf[i] & 0xff;
                int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
                int complete = end - i >= need ? end : i;
                String s = new String(buf, 0, complete, StandardCharsets.UTF_8);
                bytes.reset();
                bytes.write(buf, complete, end - complete);
                return s;
            }
        };
    }

    private static int byteValue(String token) {
        if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
            try {
                return Integer.parseInt(token.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public void close() {}

    /** Builds a {@link ScriptedTokenizer}. */
    public static final class Builder {
        private final List<String> tokens = new ArrayList<>();
        private final List<String> special = new ArrayList<>();
        private String bos;
        private String eos;
        private String pad;
        private boolean addBos = true;

        private Builder() {}

        /** Appends tokens; the first one added gets id 0. */
        public Builder addTokens(String... tokens) {
            return addTokens(List.of(tokens));
        }

        /** Appends tokens; the first one added gets id 0. */
        public Builder addTokens(List<String> tokens) {
            for (String t : tokens) {
                if (t == null || t.isEmpty()) {
                    throw new IllegalArgumentException("tokens must be non-empty strings");
                }
                this.tokens.add(t);
            }
            return this;
        }

        /** Marks tokens (already added) as special: skipped when decoding with skipSpecialTokens. */
        public Builder optSpecialTokens(String... tokens) {
            special.addAll(List.of(tokens));
            return this;
        }

        /** The BOS token, added in front by {@code encode(text, true)}. Default: none. */
        public Builder optBosToken(String token) {
            this.bos = token;
            return this;
        }

        /** The EOS token. Default: none. */
        public Builder optEosToken(String token) {
            this.eos = token;
            return this;
        }

        /** The PAD token. Default: none. */
        public Builder optPadToken(String token) {
            this.pad = token;
            return this;
        }

        /** Whether {@code encode(text, true)} adds BOS. Default true (when a BOS token is set). */
        public Builder optAddBos(boolean add) {
            this.addBos = add;
            return this;
        }

        public ScriptedTokenizer build() {
            if (tokens.isEmpty()) {
                throw new IllegalStateException("a ScriptedTokenizer needs at least one token");
            }
            return new ScriptedTokenizer(this);
        }
    }
}
