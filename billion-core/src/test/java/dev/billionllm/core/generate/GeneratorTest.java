package dev.billionllm.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.chat.ChatTemplate;
import dev.billionllm.core.testing.ScriptedLM;
import dev.billionllm.core.testing.ScriptedTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Generator end to end on a scripted model and tokenizer. */
class GeneratorTest {
    static final ScriptedTokenizer TOK = ScriptedTokenizer.builder()
            .addTokens("<unk>", "<s>", "</s>", "hello", " world", "!", " the", " cat", "hel", "lo wor", "ld", "lo",
                    " sat", "<|user|>", "<|assistant|>", "\n")
            .addTokens(ScriptedTokenizer.byteTokens())
            .optSpecialTokens("<|user|>", "<|assistant|>")
            .optBosToken("<s>")
            .optEosToken("</s>")
            .build();
    static final int VOCAB = 320; // tokenizer has 16 + 256 = 272 ids; the rest is padding

    static int id(String token) {
        int id = TOK.tokenToId(token);
        assertThat(id).as("token %s", token).isNotNegative();
        return id;
    }

    static ScriptedLM script(int... tokens) {
        return ScriptedLM.builder().optVocabSize(VOCAB).optUsableVocabSize(TOK.vocabSize()).optEosTokenIds(2)
                .setScript(tokens).build();
    }

    static Generator generator(ScriptedLM lm) {
        return Generator.builder(lm).optTokenizer(TOK).build();
    }

    static GenerationConfig max(int n) {
        return GenerationConfig.builder().optMaxNewTokens(n).build();
    }

    /** A model whose next token depends on every id so far (and never repeats a simple cycle). */
    static ScriptedLM hashing(int eosEvery) {
        return ScriptedLM.builder().optVocabSize(VOCAB).optUsableVocabSize(TOK.vocabSize()).optEosTokenIds(2)
                .setLogits(ids -> {
                    float[] l = new float[VOCAB];
                    long h = 17;
                    for (int id : ids) {
                        h = h * 31 + id;
                    }
                    for (int v = 0; v < VOCAB; v++) {
                        l[v] = (float) (((h * (v + 7)) ^ (h >>> 7)) % 1000) / 100f;
                    }
                    if (eosEvery > 0 && ids.length % eosEvery == 0) {
                        l[2] = 100f;
                    } else {
                        l[2] = -100f;
                    }
                    return l;
                }).build();
    }

    @Test
    void generatesTheScriptAndEndsOnEos() {
        ScriptedLM lm = script(id("hello"), id(" world"), id("!"), 2);
        GenerationResult r = generator(lm).generate("the cat", max(10));
        assertThat(r.tokenIds()).containsExactly(id("hello"), id(" world"), id("!"), 2);
        assertThat(r.text()).isEqualTo("hello world!");
        assertThat(r.finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(r.promptTokenCount()).isEqualTo(TOK.encode("the cat", true).length);
        assertThat(lm.forwardCalls()).isEqualTo(4); // one prefill, then one step per token but the last
        assertThat(r.timings().timeToFirstToken()).isPositive();
        assertThat(r.timings().prefillTokensPerSecond()).isPositive();
        assertThat(r.timings().decodeTokensPerSecond()).isPositive();
    }

    @Test
    void endsOnLengthAndKeepsSpecialTokensWhenAsked() {
        ScriptedLM lm = script(id("hello"), 2);
        GenerationResult r = generator(lm).generate(Prompt.ids(1, 3), max(1));
        assertThat(r.tokenIds()).containsExactly(id("hello"));
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);

        GenerationConfig keep = max(5).toBuilder().optSkipSpecialTokens(false).build();
        assertThat(generator(lm).generate(Prompt.ids(1, 3), keep).text()).isEqualTo("hello</s>");
        GenerationConfig noEos = max(3).toBuilder().optEosTokenIds(List.of()).build();
        GenerationResult r3 = generator(lm).generate(Prompt.ids(1, 3), noEos);
        assertThat(r3.tokenIds()).containsExactly(id("hello"), 2, 2);
        assertThat(r3.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void streamingDeltasConcatenateToTheText() {
        ScriptedLM lm = script(id("hello"), id(" world"), id("!"), 2);
        List<TokenEvent> events = new ArrayList<>();
        GenerationResult r = generator(lm).generate(Prompt.text("the"), max(10), events::add);
        assertThat(events).extracting(TokenEvent::tokenId).containsExactlyElementsOf(r.tokenIds());
        assertThat(events).extracting(TokenEvent::index).containsExactly(0, 1, 2, 3);
        assertThat(events.stream().map(TokenEvent::text).collect(Collectors.joining())).isEqualTo(r.text());
        assertThat(events.get(3).finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(events.subList(0, 3)).noneMatch(TokenEvent::isLast);

        try (TokenStream stream = generator(lm).stream(Prompt.text("the"), max(10))) {
            assertThat(stream.stream().map(TokenEvent::text).collect(Collectors.joining())).isEqualTo("hello world!");
            assertThat(stream.result().tokenIds()).isEqualTo(r.tokenIds());
            assertThat(stream.result().finishReason()).isEqualTo(FinishReason.EOS);
        }
    }

    @Test
    void multiByteCharacterSplitAcrossByteTokens() {
        // "€" is E2 82 AC in UTF-8: three byte-fallback tokens; "é" is C3 A9
        int[] euro = {id("<0xE2>"), id("<0x82>"), id("<0xAC>")};
        ScriptedLM lm = script(id("hello"), euro[0], euro[1], euro[2], id("<0xC3>"), id("<0xA9>"), id("!"), 2);
        List<TokenEvent> events = new ArrayList<>();
        GenerationResult r = generator(lm).generate(Prompt.ids(1), max(20), events::add);
        assertThat(events).extracting(TokenEvent::text).containsExactly("hello", "", "", "€", "", "é", "!", "");
        assertThat(r.text()).isEqualTo("hello€é!");
        assertThat(r.text()).isEqualTo(TOK.decode(r.tokenIdArray(), true));
    }

    @Test
    void stopStringSpanningTwoTokensIsCutAndNeverStreamed() {
        // "llo w" spans the boundary of "hel" and "lo wor"
        ScriptedLM lm = script(id("hel"), id("lo wor"), id("ld"), id("!"), 2);
        GenerationConfig c = max(10).toBuilder().optStopStrings(List.of("llo w")).build();
        List<TokenEvent> events = new ArrayList<>();
        GenerationResult r = generator(lm).generate(Prompt.ids(1), c, events::add);
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP_STRING);
        assertThat(r.text()).isEqualTo("he");
        // the token that completed the stop string is part of the ids, nothing after it
        assertThat(r.tokenIds()).containsExactly(id("hel"), id("lo wor"));
        // "l" was held back after "hel" because it could begin "llo w"
        assertThat(events).extracting(TokenEvent::text).containsExactly("he", "");
        assertThat(events.get(1).finishReason()).isEqualTo(FinishReason.STOP_STRING);
    }

    @Test
    void heldBackTextIsReleasedWhenItIsNotAStopString() {
        ScriptedLM lm = script(id("hel"), id("lo wor"), id("ld"), 2);
        GenerationConfig c = max(10).toBuilder().optStopStrings(List.of("lx", "world!")).build();
        List<TokenEvent> events = new ArrayList<>();
        GenerationResult r = generator(lm).generate(Prompt.ids(1), c, events::add);
        assertThat(r.finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(r.text()).isEqualTo("hello world");
        // "l" (could start "lx") held after "hel"; "world" (could start "world!") held until the end
        assertThat(events).extracting(TokenEvent::text).containsExactly("he", "llo ", "", "world");
    }

    @Test
    void earliestStopStringWins() {
        ScriptedLM lm = script(id("hello"), id(" world"), id("!"), 2);
        GenerationConfig c = max(10).toBuilder().optStopStrings(List.of("!", "o w")).build();
        GenerationResult r = generator(lm).generate(Prompt.ids(1), c);
        assertThat(r.text()).isEqualTo("hell");
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP_STRING);
    }

    @Test
    void cancellationFromAnotherThread() throws Exception {
        ScriptedLM lm = script(id("hello"));
        CancellationToken cancel = new CancellationToken();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            GenerationResult r = generator(lm).generate(Prompt.ids(1), max(1000), e -> {
                if (e.index() == 2) {
                    try {
                        other.submit(cancel::cancel).get(); // cancelled by another thread
                    } catch (Exception ex) {
                        throw new AssertionError(ex);
                    }
                }
            }, cancel);
            assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.tokenIds()).hasSize(3);
            assertThat(r.text()).isEqualTo("hellohellohello");
        } finally {
            other.shutdownNow();
        }
        CancellationToken before = new CancellationToken();
        before.cancel();
        GenerationResult none = generator(lm).generate(Prompt.ids(1), max(5), TokenListener.NONE, before);
        assertThat(none.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(none.tokenIds()).isEmpty();
        assertThat(none.text()).isEmpty();
    }

    @Test
    void closingAStreamEarlyCancels() {
        ScriptedLM lm = script(id("hello"));
        TokenStream stream = generator(lm).stream(Prompt.ids(1), max(100));
        assertThat(stream.next().tokenId()).isEqualTo(id("hello"));
        assertThatThrownBy(stream::result).isInstanceOf(IllegalStateException.class);
        stream.close();
        assertThat(stream.result().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(stream.result().tokenIds()).hasSize(1);
        assertThat(stream.hasNext()).isFalse();
    }

    @Test
    void closedGeneratorRejectsNewWork() {
        Generator g = generator(script(3));
        g.close();
        assertThatThrownBy(() -> g.generate(Prompt.ids(1), max(2))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void contextOverflowPolicy() {
        ScriptedLM lm = ScriptedLM.builder().optVocabSize(VOCAB).optUsableVocabSize(TOK.vocabSize())
                .optMaxPositionEmbeddings(10).setScript(id("hello")).build();
        Generator g = generator(lm);
        // 4 prompt tokens + 20 wanted > 10: generates 6 (4 + 6 = 10 positions) and says why
        GenerationResult full = g.generate(Prompt.ids(1, 3, 3, 3), max(20));
        assertThat(full.tokenIds()).hasSize(6);
        assertThat(full.finishReason()).isEqualTo(FinishReason.CONTEXT_FULL);
        // exactly fitting is an ordinary LENGTH
        assertThat(g.generate(Prompt.ids(1, 3, 3, 3), max(6)).finishReason()).isEqualTo(FinishReason.LENGTH);
        // a prompt that fills the context fails up front
        assertThatThrownBy(() -> g.generate(Prompt.ids(new int[10]), max(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10 tokens").hasMessageContaining("max_position_embeddings is 10")
                .hasMessageContaining("at most 9");
    }

    @Test
    void paddedVocabularyIsNeverProduced() {
        // the padded ids get the largest logits; sampling and greedy must still avoid them
        ScriptedLM lm = ScriptedLM.builder().optVocabSize(VOCAB).optUsableVocabSize(TOK.vocabSize())
                .setLogits(ids -> {
                    float[] l = new float[VOCAB];
                    for (int v = TOK.vocabSize(); v < VOCAB; v++) {
                        l[v] = 50f;
                    }
                    return l;
                }).build();
        GenerationConfig sampled = max(200).toBuilder().optTemperature(1.5).optSeed(3).build();
        for (GenerationConfig c : List.of(max(5), sampled)) {
            assertThat(generator(lm).generate(Prompt.ids(1), c).tokenIds()).allMatch(t -> t < TOK.vocabSize());
        }
    }

    @Test
    void badPromptIdsFailClearly() {
        assertThatThrownBy(() -> generator(script(3)).generate(Prompt.ids(1, VOCAB), max(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id " + VOCAB)
                .hasMessageContaining("[0, " + VOCAB + ")");
        assertThatThrownBy(() -> Generator.builder(script(3)).build().generate("text", max(2)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("optTokenizer");
        assertThatThrownBy(() -> generator(script(3)).chat(List.of(ChatMessage.user("hi")), max(2)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("optChatTemplate");
    }

    @Test
    void idsOnlyGenerationWithoutTokenizer() {
        GenerationResult r = Generator.builder(script(3, 4, 2)).build().generate(Prompt.ids(1), max(5));
        assertThat(r.tokenIds()).containsExactly(3, 4, 2);
        assertThat(r.text()).isEmpty();
        assertThat(r.finishReason()).isEqualTo(FinishReason.EOS);
    }

    @Test
    void chatPromptIsRenderedAndEncodedWithoutAddingSpecialTokensAgain() {
        ChatTemplate template = new ChatTemplate() {
            @Override
            public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
                StringBuilder sb = new StringBuilder("<s>");
                for (ChatMessage m : messages) {
                    sb.append("<|").append(m.role()).append("|>\n").append(m.content());
                }
                return addGenerationPrompt ? sb.append("<|assistant|>\n").toString() : sb.toString();
            }

            @Override
            public boolean isModelTemplate() {
                return true;
            }
        };
        ScriptedLM lm = script(id("hello"), 2);
        Generator g = Generator.builder(lm).optTokenizer(TOK).optChatTemplate(template).build();
        Prompt chat = Prompt.chat(List.of(ChatMessage.user("hello")));
        assertThat(g.encode(chat)).containsExactly(1, id("<|user|>"), id("\n"), id("hello"), id("<|assistant|>"),
                id("\n"));
        GenerationResult r = g.generate(chat, max(5));
        assertThat(r.text()).isEqualTo("hello");
        assertThat(r.finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(r.promptTokenCount()).isEqualTo(6);
    }

    @Test
    void batchEqualsOneByOneForGreedy() {
        ScriptedLM lm = hashing(9);
        Generator g = generator(lm);
        List<Prompt> prompts = List.of(Prompt.ids(1, 3, 4, 5, 6), Prompt.ids(1), Prompt.ids(1, 7, 12));
        GenerationConfig c = max(12);
        List<GenerationResult> batch = g.generateBatch(prompts, c);
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult alone = g.generate(prompts.get(i), c);
            assertThat(batch.get(i).tokenIds()).as("row %d", i).isEqualTo(alone.tokenIds());
            assertThat(batch.get(i).text()).isEqualTo(alone.text());
            assertThat(batch.get(i).finishReason()).isEqualTo(alone.finishReason());
            assertThat(batch.get(i).promptTokenCount()).isEqualTo(alone.promptTokenCount());
            reasons.add(alone.finishReason().name());
        }
        // rows end on their own: eos comes when a row holds a multiple of 9 ids
        assertThat(reasons).contains("EOS");
        // row 0: 5 prompt ids, eos picked once 9 ids are seen (the 5th new token)
        assertThat(batch.get(0).tokenIds()).hasSize(5);
        assertThat(batch.get(1).tokenIds()).hasSize(9);
    }

    @Test
    void sampledBatchRowUsesSeedPlusRow() {
        ScriptedLM lm = hashing(0);
        Generator g = generator(lm);
        GenerationConfig c = max(10).toBuilder().optTemperature(1.0).optTopK(20).optSeed(100).build();
        List<GenerationResult> batch = g.generateBatch(List.of(Prompt.ids(1, 3), Prompt.ids(1, 4, 5)), c);
        assertThat(batch.get(0).tokenIds()).isEqualTo(g.generate(Prompt.ids(1, 3), c).tokenIds());
        GenerationConfig c101 = c.toBuilder().optSeed(101).build();
        assertThat(batch.get(1).tokenIds()).isEqualTo(g.generate(Prompt.ids(1, 4, 5), c101).tokenIds());
    }

    @Test
    void sameSeedSameTokensDifferentSeedsDiffer() {
        Generator g = generator(hashing(0));
        GenerationConfig c = max(20).toBuilder().optTemperature(1.0).optSeed(5).build();
        List<Integer> a = g.generate(Prompt.ids(1), c).tokenIds();
        assertThat(g.generate(Prompt.ids(1), c).tokenIds()).isEqualTo(a);
        assertThat(g.generate(Prompt.ids(1), c.toBuilder().optSeed(6).build()).tokenIds()).isNotEqualTo(a);
    }

    @Test
    void concurrentGenerationsEqualSequentialOnes() throws Exception {
        Generator g = generator(hashing(13));
        List<Callable<GenerationResult>> jobs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int[] prompt = {1, 3 + i % 5, 4 + i};
            GenerationConfig c = i % 2 == 0 ? max(15)
                    : max(15).toBuilder().optTemperature(0.8).optTopP(0.9).optSeed(i).build();
            jobs.add(() -> g.generate(Prompt.ids(prompt), c));
        }
        List<GenerationResult> sequential = new ArrayList<>();
        for (Callable<GenerationResult> job : jobs) {
            sequential.add(job.call());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<GenerationResult>> futures = pool.invokeAll(jobs);
            for (int i = 0; i < jobs.size(); i++) {
                GenerationResult r = futures.get(i).get();
                assertThat(r.tokenIds()).as("job %d", i).isEqualTo(sequential.get(i).tokenIds());
                assertThat(r.text()).isEqualTo(sequential.get(i).text());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void listenerExceptionReachesTheCaller() {
        assertThatThrownBy(() -> generator(script(3)).generate(Prompt.ids(1), max(5), e -> {
            throw new IllegalStateException("listener failed");
        })).hasMessage("listener failed");
    }
}
