package dev.billionllm.core.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Streamed deltas are complete UTF-8 text and concatenate to the full decode. */
class StreamingDecoderTest {

    /** Feeds {@code ids} one by one; returns the deltas of add() followed by flush()'s. */
    private static List<String> stream(Tokenizer tok, int[] ids, boolean skip) {
        IncrementalDecoder d = tok.newIncrementalDecoder(skip);
        List<String> deltas = new ArrayList<>();
        for (int id : ids) {
            deltas.add(d.add(id));
        }
        deltas.add(d.flush());
        return deltas;
    }

    private static void assertStreamsLikeDecode(Tokenizer tok, int[] ids, boolean skip) {
        List<String> deltas = stream(tok, ids, skip);
        assertThat(String.join("", deltas)).isEqualTo(tok.decode(ids, skip));
        for (String d : deltas) {
            assertThat(d).doesNotEndWith("\uFFFD");
            // Never half of a surrogate pair.
            assertThat(d.isEmpty() || !Character.isHighSurrogate(d.charAt(d.length() - 1))).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void goldenProbesStreamToTheirDecode(String fixture) throws IOException {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir(fixture))) {
            for (JsonElement e : HfTokenizerTest.golden(fixture).getAsJsonArray("tokenizer")) {
                int[] ids = HfTokenizerTest.ints(e.getAsJsonObject().get("ids_with_special"));
                assertStreamsLikeDecode(tok, ids, true);
                assertStreamsLikeDecode(tok, ids, false);
            }
            for (JsonElement e : HfTokenizerTest.golden(fixture).getAsJsonArray("generation")) {
                int[] ids = HfTokenizerTest.ints(e.getAsJsonObject().get("greedy_new_ids"));
                assertThat(String.join("", stream(tok, ids, false)))
                        .isEqualTo(e.getAsJsonObject().get("greedy_text").getAsString());
            }
        }
    }

    @Test
    void byteFallbackCharactersAreHeldUntilComplete() {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-tinyllama"))) {
            // "é" = C3 A9, "日本" = E6 97 A5 E6 9C AC, "😀" = F0 9F 98 80, each byte its own <0xNN> token.
            int a = tok.encode("a", false)[0];
            int[] ids = concat(new int[] {1, a}, bytes(tok, 0xC3, 0xA9), bytes(tok, 0xE6, 0x97, 0xA5, 0xE6, 0x9C, 0xAC),
                    bytes(tok, 0xF0, 0x9F, 0x98, 0x80), new int[] {a});
            List<String> deltas = stream(tok, ids, true);
            assertThat(deltas).containsExactly(
                    "", "a", // BOS is skipped, then "a"
                    "", "é",
                    "", "", "日", "", "", "本",
                    "", "", "", "😀",
                    " a", "");
            assertThat(tok.decode(ids, true)).isEqualTo("aé日本😀 a");
            assertStreamsLikeDecode(tok, ids, false);
        }
    }

    @Test
    void byteLevelBpeSplitCharacterIsHeld() throws IOException {
        // The golden emoji probe of tiny-llama32 spreads "😀" over several byte-level tokens.
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-llama32"))) {
            int[] ids = tok.encode("emoji 😀 ok", false);
            List<String> deltas = stream(tok, ids, true);
            assertThat(deltas).contains("");
            assertThat(deltas).anyMatch(d -> d.contains("😀"));
            assertThat(String.join("", deltas)).isEqualTo("emoji 😀 ok");
        }
    }

    @Test
    void incompleteTailIsFlushed() {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-tinyllama"))) {
            IncrementalDecoder d = tok.newIncrementalDecoder(true);
            assertThat(d.add(tok.encode("a", false)[0])).isEqualTo("a");
            assertThat(d.add(tok.tokenToId("<0xC3>"))).isEmpty();
            assertThat(d.flush()).isEqualTo("\uFFFD"); // what decode() gives for a lone lead byte
        }
    }

    @Test
    void longRandomStreamsDecodeBoundedWindows() {
        try (HfTokenizer real = HfTokenizer.load(Fixtures.dir("tiny-tinyllama"))) {
            CountingTokenizer tok = new CountingTokenizer(real);
            Random random = new Random(7);
            String[] chars = {"é", "日", "本", "😀", "ß", "€", "ж"};
            List<Integer> list = new ArrayList<>();
            while (list.size() < 3000) {
                if (random.nextInt(3) == 0) { // a character spelled as <0xNN> byte tokens
                    byte[] utf8 = chars[random.nextInt(chars.length)].getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    for (byte b : utf8) {
                        list.add(real.tokenToId(String.format("<0x%02X>", b & 0xFF)));
                    }
                } else { // any merged token (ids past the 3 specials and 256 byte tokens)
                    list.add(259 + random.nextInt(real.vocabSize() - 259));
                }
            }
            int[] ids = list.stream().mapToInt(Integer::intValue).toArray();
            assertStreamsLikeDecode(tok, ids, true);
            // Linear work: each id decoded a bounded number of times, not O(n^2).
            assertThat(tok.decodedIds).isLessThan(20L * ids.length);
        }
    }

    @Test
    void invalidByteRunIsHeldThenEmittedAsDecodeDoes() {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-tinyllama"))) {
            // A lone lead byte followed by ordinary text: held while it ends the text, then emitted.
            int[] ids = concat(tok.encode("a", false), bytes(tok, 0xC3), tok.encode("the end", false));
            List<String> deltas = stream(tok, ids, true);
            assertThat(deltas.get(1)).isEmpty();
            assertThat(String.join("", deltas)).isEqualTo(tok.decode(ids, true)).contains("\uFFFD");
        }
    }

    private static int[] bytes(Tokenizer tok, int... bytes) {
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = tok.tokenToId(String.format("<0x%02X>", bytes[i]));
            assertThat(ids[i]).isPositive();
        }
        return ids;
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    /** Counts how many ids the decoder asks to decode. */
    private static final class CountingTokenizer implements Tokenizer {
        final Tokenizer inner;
        long decodedIds;

        CountingTokenizer(Tokenizer inner) {
            this.inner = inner;
        }

        @Override
        public int[] encode(String text, boolean addSpecialTokens) {
            return inner.encode(text, addSpecialTokens);
        }

        @Override
        public String decode(int[] ids, boolean skipSpecialTokens) {
            decodedIds += ids.length;
            return inner.decode(ids, skipSpecialTokens);
        }

        @Override
        public int vocabSize() {
            return inner.vocabSize();
        }

        @Override
        public int tokenToId(String token) {
            return inner.tokenToId(token);
        }

        @Override
        public String idToToken(int id) {
            return inner.idToToken(id);
        }

        @Override
        public String bosToken() {
            return inner.bosToken();
        }

        @Override
        public String eosToken() {
            return inner.eosToken();
        }

        @Override
        public String padToken() {
            return inner.padToken();
        }

        @Override
        public List<Integer> specialTokenIds() {
            return inner.specialTokenIds();
        }

        @Override
        public IncrementalDecoder newIncrementalDecoder(boolean skipSpecialTokens) {
            return new StreamingDecoder(this, skipSpecialTokens);
        }

        @Override
        public void close() {}
    }
}
