package dev.billionllm.bench.testing;

import dev.billionllm.core.tokenize.IncrementalDecoder;
import dev.billionllm.core.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test tokenizer: each run of whitespace joins the word after it (" A" is one token, like
 * SentencePiece's "▁A"); trailing whitespace is a token of its own. Ids are given in order of
 * first sight, after {@code <s>} = 1 and {@code </s>} = 2; BOS is added with special tokens.
 */
public final class WordTokenizer implements Tokenizer {

    private static final Pattern PIECE = Pattern.compile("\\s*\\S+|\\s+");
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));

    public WordTokenizer() {
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
    }

    /** Id of {@code piece}, assigning the next one on first sight. */
    public synchronized int id(String piece) {
        return ids.computeIfAbsent(piece, p -> {
            tokens.add(p);
            return tokens.size() - 1;
        });
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> out = new ArrayList<>();
        if (addSpecialTokens) {
            out.add(1);
        }
        Matcher m = PIECE.matcher(text);
        while (m.find()) {
            out.add(id(m.group()));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public synchronized String decode(int[] idList, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        for (int id : idList) {
            if (skipSpecialTokens && id < 3) {
                continue;
            }
            sb.append(tokens.get(id));
        }
        return sb.toString();
    }

    @Override
    public synchronized int vocabSize() {
        return tokens.size();
    }

    @Override
    public synchronized int tokenToId(String token) {
        return ids.getOrDefault(token, -1);
    }

    @Override
    public synchronized String idToToken(int id) {
        return id >= 0 && id < tokens.size() ? tokens.get(id) : null;
    }

    @Override
    public String bosToken() {
        return "<s>";
    }

    @Override
    public String eosToken() {
        return "</s>";
    }

    @Override
    public String padToken() {
        return null;
    }

    @Override
    public List<Integer> specialTokenIds() {
        return List.of(1, 2);
    }

    @Override
    public IncrementalDecoder newIncrementalDecoder(boolean skipSpecialTokens) {
        throw new UnsupportedOperationException("not needed by the bench tests");
    }

    @Override
    public void close() {}
}
