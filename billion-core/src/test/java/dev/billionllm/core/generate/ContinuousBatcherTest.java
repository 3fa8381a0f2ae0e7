package dev.billionllm.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Continuous batching against the same requests run alone, on both backends (and on both ONNX
 * attention graphs, which lay out a batch's cache differently): rows with different prompt
 * lengths and configurations join while others run and leave early, and each gets exactly what
 * {@link Generator#generate} gives it alone.
 */
class ContinuousBatcherTest {
    @TempDir
    static Path exports;

    private static final Map<String, Loaded> MODELS = new ConcurrentHashMap<>();

    record Loaded(CausalLM lm, HfTokenizer tokenizer, Generator generator) {}

    static Stream<String> models() {
        return Stream.of("pytorch:tiny-tinyllama", "pytorch:tiny-stablelm2", "onnx:tiny-tinyllama-onnx",
                "onnx-fused:tiny-tinyllama");
    }

    private static Loaded model(String key) {
        return MODELS.computeIfAbsent(key, k -> {
            String backend = k.substring(0, k.indexOf(':'));
            String fixture = k.substring(k.indexOf(':') + 1);
            Path dir = Fixtures.dir(fixture);
            if (backend.equals("onnx-fused")) {
                // our exporter's default graph: GroupQueryAttention, which packs a row's tokens at the front
                Path dst = exports.resolve(fixture + "-fused");
                Map<String, Object> built = OnnxExporter.export(dir, dst,
                        ExportOptions.builder().setPrecision(Precision.FP32).build());
                assertThat(built.get("fused_attention")).as("the default export fuses attention").isEqualTo(true);
                dir = dst;
            }
            HfTokenizer tok = HfTokenizer.load(dir);
            LoadOptions options = backend.equals("pytorch")
                    ? LoadOptions.builder().optDevice("cpu").optThreads(1).optUsableVocabSize(tok.vocabSize()).build()
                    : LoadOptions.builder().optUsableVocabSize(tok.vocabSize()).build();
            CausalLM lm = Backends.get(backend.equals("pytorch") ? "pytorch" : "onnxruntime").load(dir,
                    ModelConfigParser.parse(dir), options);
            return new Loaded(lm, tok, Generator.builder(lm).optTokenizer(tok).build());
        });
    }

    @AfterAll
    static void close() {
        for (Loaded m : MODELS.values()) {
            m.generator.close();
            m.lm.close();
            m.tokenizer.close();
        }
        MODELS.clear();
    }

    private static GenerationConfig greedy(int n) {
        return GenerationConfig.builder().optMaxNewTokens(n).optSkipSpecialTokens(false).build();
    }

    private static GenerationConfig sampled(int n, long seed) {
        return greedy(n).toBuilder().optTemperature(0.9).optTopK(40).optTopP(0.95).optRepetitionPenalty(1.2)
                .optSeed(seed).build();
    }

    /** A request and what it gives alone. */
    private record Case(Prompt prompt, GenerationConfig config) {}

    @ParameterizedTest
    @MethodSource("models")
    void rowsThatJoinAndLeaveMidRunGetWhatTheyGetAlone(String key) throws Exception {
        Loaded m = model(key);
        // mixed prompt lengths; one ends early, one on a stop string, two sample with their seeds
        Case first = new Case(Prompt.text("the cat sat on"), greedy(20));
        List<Case> later = List.of(
                new Case(Prompt.text("question: what colour is the sky? answer: it is"), greedy(12)),
                new Case(Prompt.text("one"), greedy(3)),
                new Case(Prompt.text("counting: one two three"), sampled(14, 11)),
                new Case(Prompt.text("hello there, how are"), greedy(16).toBuilder().optStopStrings(List.of("e"))
                        .build()),
                new Case(Prompt.text("a dog and a cat"), sampled(10, 12).toBuilder().optMinP(0.05).build()));
        try (ContinuousBatcher batcher = ContinuousBatcher.builder(m.generator).optMaxBatch(4).build()) {
            // the listener runs on the batcher's thread, possibly before submit has returned here
            List<CompletableFuture<GenerationResult>> laterResults = new ArrayList<>();
            List<StringBuilder> laterStreamed = new ArrayList<>();
            AtomicInteger widest = new AtomicInteger();
            CountDownLatch submitted = new CountDownLatch(1);
            // the later requests arrive while the first runs (after its 2nd token), all at once, from
            // its listener, so they join a running batch; with maxBatch 4 the last ones wait for a free row
            StringBuilder firstText = new StringBuilder();
            CompletableFuture<GenerationResult> firstResult = batcher.submit(first.prompt, first.config, e -> {
                firstText.append(e.text());
                widest.accumulateAndGet(batcher.runningRows(), Math::max);
                if (e.index() == 1) {
                    for (Case c : later) {
                        StringBuilder s = new StringBuilder();
                        laterStreamed.add(s);
                        laterResults.add(batcher.submit(c.prompt, c.config, ev -> s.append(ev.text()),
                                new CancellationToken()));
                    }
                    submitted.countDown();
                }
            }, new CancellationToken());
            assertThat(submitted.await(60, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
            results.add(firstResult);
            results.addAll(laterResults);
            List<StringBuilder> streamed = new ArrayList<>();
            streamed.add(firstText);
            streamed.addAll(laterStreamed);
            List<Case> all = new ArrayList<>();
            all.add(first);
            all.addAll(later);
            int tokens = 0;
            for (int i = 0; i < all.size(); i++) {
                GenerationResult batched = results.get(i).get(60, TimeUnit.SECONDS);
                GenerationResult alone = m.generator.generate(all.get(i).prompt, all.get(i).config);
                assertThat(batched.tokenIds()).as("%s request %d", key, i).isEqualTo(alone.tokenIds());
                assertThat(batched.text()).isEqualTo(alone.text());
                assertThat(batched.finishReason()).isEqualTo(alone.finishReason());
                assertThat(batched.promptTokenCount()).isEqualTo(alone.promptTokenCount());
                assertThat(streamed.get(i).toString()).isEqualTo(alone.text());
                tokens += batched.tokenIds().size();
            }
            assertThat(results.get(2).get().finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(widest.get()).as("rows that ran together").isGreaterThan(1);
            assertThat(batcher.steps()).as("one pass for several rows").isLessThan(tokens - all.size());
            awaitIdle(batcher);
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void aSeededRowDrawsTheSameTokensWhateverElseRuns(String key) throws Exception {
        Loaded m = model(key);
        Prompt prompt = Prompt.text("once upon a time");
        GenerationConfig config = sampled(16, 42);
        GenerationResult alone = m.generator.generate(prompt, config);
        try (ContinuousBatcher batcher = ContinuousBatcher.builder(m.generator).optMaxBatch(8).build()) {
            assertThat(batcher.submit(prompt, config, TokenListener.NONE, new CancellationToken())
                    .get(60, TimeUnit.SECONDS).tokenIds()).isEqualTo(alone.tokenIds());
            // the same request among companions that sample with other seeds, joining before and after it
            List<CompletableFuture<GenerationResult>> companions = new ArrayList<>();
            companions.add(batcher.submit(Prompt.text("the cat"), sampled(24, 1), TokenListener.NONE,
                    new CancellationToken()));
            companions.add(batcher.submit(Prompt.text("counting: one two three four"), sampled(5, 2),
                    TokenListener.NONE, new CancellationToken()));
            CompletableFuture<GenerationResult> inBatch = batcher.submit(prompt, config, TokenListener.NONE,
                    new CancellationToken());
            companions.add(batcher.submit(Prompt.text("hello"), greedy(20), TokenListener.NONE,
                    new CancellationToken()));
            assertThat(inBatch.get(60, TimeUnit.SECONDS).tokenIds()).isEqualTo(alone.tokenIds());
            for (CompletableFuture<GenerationResult> c : companions) {
                c.get(60, TimeUnit.SECONDS);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void aCancelledRowLeavesTheBatchAndFreesItsCache(String key) throws Exception {
        Loaded m = model(key);
        int max = m.lm.config().maxPositionEmbeddings() - 16;
        GenerationConfig endless = greedy(max);
        try (ContinuousBatcher batcher = ContinuousBatcher.builder(m.generator).optMaxBatch(4).build()) {
            CancellationToken cancel = new CancellationToken();
            CountDownLatch running = new CountDownLatch(1);
            CompletableFuture<GenerationResult> doomed = batcher.submit(Prompt.text("the cat sat on"), endless, e -> {
                if (e.index() == 4) {
                    running.countDown();
                }
            }, cancel);
            assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<GenerationResult> other = batcher.submit(Prompt.text("one two"), greedy(12),
                    TokenListener.NONE, new CancellationToken());
            GenerationResult otherResult = other.get(60, TimeUnit.SECONDS);
            assertThat(batcher.runningRows()).isEqualTo(1);
            long oneRow = batcher.cachedPositions();
            assertThat(oneRow).isPositive();
            cancel.cancel();
            GenerationResult r = doomed.get(60, TimeUnit.SECONDS);
            assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.tokenIds().size()).isLessThan(max);
            awaitIdle(batcher);
            assertThat(otherResult.tokenIds()).isEqualTo(
                    m.generator.generate(Prompt.text("one two"), greedy(12)).tokenIds());
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void aRowThatFillsTheContextEndsAsItWouldAlone(String key) throws Exception {
        Loaded m = model(key);
        int maxPositions = m.lm.config().maxPositionEmbeddings();
        int[] nearlyFull = new java.util.Random(7).ints(maxPositions - 6, 3, m.tokenizer.vocabSize()).toArray();
        GenerationConfig config = greedy(40);
        try (ContinuousBatcher batcher = ContinuousBatcher.builder(m.generator).optMaxBatch(4).build()) {
            CompletableFuture<GenerationResult> shortOne = batcher.submit(Prompt.text("the cat"), greedy(20),
                    TokenListener.NONE, new CancellationToken());
            CompletableFuture<GenerationResult> full = batcher.submit(Prompt.ids(nearlyFull), config,
                    TokenListener.NONE, new CancellationToken());
            GenerationResult r = full.get(120, TimeUnit.SECONDS);
            GenerationResult alone = m.generator.generate(Prompt.ids(nearlyFull), config);
            assertThat(r.finishReason()).isEqualTo(FinishReason.CONTEXT_FULL);
            assertThat(r.tokenIds()).hasSize(6).isEqualTo(alone.tokenIds());
            assertThat(shortOne.get(60, TimeUnit.SECONDS).tokenIds()).isEqualTo(
                    m.generator.generate(Prompt.text("the cat"), greedy(20)).tokenIds());
        }
    }

    @Test
    void aFailingListenerEndsOnlyItsOwnRow() throws Exception {
        Loaded m = model("pytorch:tiny-tinyllama");
        try (ContinuousBatcher batcher = ContinuousBatcher.builder(m.generator).optMaxBatch(4).build()) {
            CompletableFuture<GenerationResult> broken = batcher.submit(Prompt.text("the cat"), greedy(30), e -> {
                if (e.index() == 2) {
                    throw new IllegalStateException("client gone");
                }
            }, new CancellationToken());
            CompletableFuture<GenerationResult> fine = batcher.submit(Prompt.text("the dog"), greedy(10),
                    TokenListener.NONE, new CancellationToken());
            assertThatThrownBy(broken::join).isInstanceOf(CompletionException.class).hasMessageContaining("client gone");
            assertThat(fine.get(60, TimeUnit.SECONDS).tokenIds()).isEqualTo(
                    m.generator.generate(Prompt.text("the dog"), greedy(10)).tokenIds());
            awaitIdle(batcher);
        }
    }

    @Test
    void closeCancelsWhatRunsAndRefusesMore() throws Exception {
        Loaded m = model("pytorch:tiny-tinyllama");
        ContinuousBatcher batcher = ContinuousBatcher.builder(m.generator).optMaxBatch(1).build();
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<GenerationResult> a = batcher.submit(Prompt.text("the cat"), greedy(1000),
                e -> running.countDown(), new CancellationToken());
        CompletableFuture<GenerationResult> queued = batcher.submit(Prompt.text("the dog"), greedy(1000),
                TokenListener.NONE, new CancellationToken());
        assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();
        batcher.close();
        assertThat(a.get(60, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(queued.get(60, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(queued.get().tokenIds()).isEmpty();
        assertThat(batcher.cachedPositions()).isZero();
        assertThatThrownBy(() -> batcher.submit(Prompt.text("x"), greedy(1), TokenListener.NONE,
                new CancellationToken())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void badPromptsFailOnTheCallingThread() {
        Loaded m = model("pytorch:tiny-tinyllama");
        try (ContinuousBatcher batcher = ContinuousBatcher.builder(m.generator).build()) {
            int vocab = m.lm.config().vocabSize();
            assertThatThrownBy(() -> batcher.submit(Prompt.ids(1, vocab), greedy(1), TokenListener.NONE,
                    new CancellationToken())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(
                    "outside the model's vocabulary");
            int[] tooLong = new int[m.lm.config().maxPositionEmbeddings()];
            assertThatThrownBy(() -> batcher.submit(Prompt.ids(tooLong), greedy(1), TokenListener.NONE,
                    new CancellationToken())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(
                    "max_position_embeddings");
        }
    }

    /** Once every request has ended, the batch is empty and its cache freed. */
    private static void awaitIdle(ContinuousBatcher batcher) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (batcher.runningRows() > 0 || batcher.cachedPositions() > 0) {
            assertThat(System.nanoTime()).as("the batch emptied").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
