package dev.billionllm.core.tokenize;

import java.util.List;

/**
 * Text to token ids and back, as the model's Hugging Face tokenizer does it (tokenizer.json plus
 * tokenizer_config.json). Implementations are thread-safe.
 */
public interface Tokenizer extends AutoCloseable {

    /** Encodes {@code text}, adding BOS/EOS as tokenizer_config.json says when {@code addSpecialTokens}. */
    int[] encode(String text, boolean addSpecialTokens);

    /** Decodes ids; special tokens are dropped when {@code skipSpecialTokens}. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** Number of ids the tokenizer knows (base vocabulary plus added tokens). */
    int vocabSize();

    /** Id of a token string, or -1. */
    int tokenToId(String token);

    /** Token string of an id, or null. */
    String idToToken(int id);

    /** BOS token string from tokenizer_config.json, or null. */
    String bosToken();

    /** EOS token string from tokenizer_config.json, or null. */
    String eosToken();

    /** PAD token string, or null. */
    String padToken();

    /** Ids of all special tokens. */
    List<Integer> specialTokenIds();

    /** A new decoder for streaming that emits only complete UTF-8 text. */
    IncrementalDecoder newIncrementalDecoder(boolean skipSpecialTokens);

    @Override
    void close();
}
