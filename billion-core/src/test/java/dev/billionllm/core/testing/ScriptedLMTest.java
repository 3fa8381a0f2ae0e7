package dev.billionllm.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScriptedLMTest {

    @Test
    void scriptFollowsEachRowsPrompt() {
        ScriptedLM lm = ScriptedLM.builder().optVocabSize(16).setScript(5, 6, 7).build();
        try (KvCache cache = lm.newCache(2, 16)) {
            Logits l = lm.forward(TokenBatch.leftPadded(new int[][] {{1, 2, 3}, {1}}, 0), cache, LogitsMode.LAST);
            assertThat(Greedy.argmax(l.last(0))).isEqualTo(5);
            assertThat(Greedy.argmax(l.last(1))).isEqualTo(5);
            assertThat(l.last(0)[5]).isEqualTo(ScriptedLM.SCRIPTED_LOGIT);
            l = lm.forward(TokenBatch.of(new int[][] {{5}, {5}}), cache, LogitsMode.LAST);
            assertThat(Greedy.argmax(l.last(0))).isEqualTo(6);
            l = lm.forward(TokenBatch.of(new int[][] {{6}, {6}}), cache, LogitsMode.LAST);
            assertThat(Greedy.argmax(l.last(0))).isEqualTo(7);
            l = lm.forward(TokenBatch.of(new int[][] {{7}, {7}}), cache, LogitsMode.LAST);
            assertThat(Greedy.argmax(l.last(1))).isEqualTo(7); // the last entry repeats
            assertThat(cache.length()).isEqualTo(6);
        }
        assertThat(lm.forwardCalls()).isEqualTo(4);
    }

    @Test
    void functionSeesOnlyRealTokensAndCacheTruncatesAndCopies() {
        List<String> seen = new ArrayList<>();
        ScriptedLM lm = ScriptedLM.builder().optVocabSize(16).setLogits(ids -> {
            synchronized (seen) {
                seen.add(java.util.Arrays.toString(ids));
            }
            return ScriptedLM.oneHot(16, ids.length % 16);
        }).build();
        try (KvCache cache = lm.newCache(1, 8)) {
            lm.forward(TokenBatch.of(new int[][] {{9, 1, 2}}, new int[][] {{0, 1, 1}}), cache, LogitsMode.LAST);
            assertThat(seen).containsExactly("[1, 2]");
            Logits all;
            try (KvCache copy = cache.copy()) {
                all = lm.forward(TokenBatch.of(3, 4), copy, LogitsMode.ALL);
                assertThat(copy.length()).isEqualTo(5);
                assertThat(cache.length()).isEqualTo(3); // the copy grew alone
            }
            assertThat(all.positions()).isEqualTo(2);
            assertThat(Greedy.argmax(all.at(0, 0))).isEqualTo(3);
            assertThat(Greedy.argmax(all.at(0, 1))).isEqualTo(4);
            cache.truncate(2);
            seen.clear();
            lm.forward(TokenBatch.of(7), cache, LogitsMode.LAST);
            assertThat(seen).containsExactly("[1, 7]");
            assertThat(cache.sizeInBytes()).isPositive();
        }
    }

    @Test
    void misuseFailsClearly() {
        ScriptedLM lm = ScriptedLM.builder().optVocabSize(16).optUsableVocabSize(12).setScript(1).build();
        assertThat(lm.usableVocabSize()).isEqualTo(12);
        assertThat(lm.config().vocabSize()).isEqualTo(16);
        KvCache cache = lm.newCache(1, 2);
        assertThatThrownBy(() -> lm.forward(TokenBatch.of(1, 2, 3), cache, LogitsMode.LAST))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot take 3 more");
        assertThatThrownBy(() -> lm.forward(TokenBatch.of(16), cache, LogitsMode.LAST))
                .hasMessageContaining("token id 16").hasMessageContaining("[0, 16)");
        assertThatThrownBy(() -> lm.forward(TokenBatch.of(new int[][] {{1}, {1}}), cache, LogitsMode.LAST))
                .hasMessageContaining("2 rows but the cache 1");
        ScriptedLM other = ScriptedLM.builder().setScript(1).build();
        assertThatThrownBy(() -> other.forward(TokenBatch.of(1), cache, LogitsMode.LAST))
                .hasMessageContaining("not created by this ScriptedLM");
        assertThatThrownBy(() -> cache.truncate(3)).hasMessageContaining("length 0 to 3");
        cache.close();
        assertThatThrownBy(() -> lm.forward(TokenBatch.of(1), cache, LogitsMode.LAST)).hasMessageContaining("closed");
        assertThatThrownBy(() -> ScriptedLM.builder().build()).hasMessageContaining("setScript");
        assertThatThrownBy(() -> ScriptedLM.builder().optVocabSize(4).setScript(4).build()).hasMessageContaining("script id 4");
        ScriptedLM wrong = ScriptedLM.builder().optVocabSize(4).setLogits(ids -> new float[3]).build();
        assertThatThrownBy(() -> wrong.forward(TokenBatch.of(1), wrong.newCache(1, 2), LogitsMode.LAST))
                .hasMessageContaining("returned 3 values; expected 4");
    }

    @Test
    void scriptedTokenizerRoundTripsAndFallsBackToBytes() {
        ScriptedTokenizer tok = ScriptedTokenizer.builder().addTokens("<s>", "</s>", "hello", " world")
                .addTokens(ScriptedTokenizer.byteTokens()).optBosToken("<s>").optEosToken("</s>").build();
        int[] ids = tok.encode("hello wörld", true);
        assertThat(ids[0]).isEqualTo(0);
        assertThat(tok.decode(ids, true)).isEqualTo("hello wörld");
        assertThat(tok.decode(ids, false)).isEqualTo("<s>hello wörld");
        assertThat(tok.encode("hello world", false)).containsExactly(2, 3);
        assertThat(tok.specialTokenIds()).containsExactly(0, 1);
        // an incomplete character at the end decodes to U+FFFD, as transformers does
        assertThat(tok.decode(new int[] {tok.tokenToId("<0xC3>")}, true)).isEqualTo("\uFFFD");
        ScriptedTokenizer noBytes = ScriptedTokenizer.builder().addTokens("a").build();
        assertThatThrownBy(() -> noBytes.encode("b", false)).hasMessageContaining("cannot encode 'b'");
    }
}
