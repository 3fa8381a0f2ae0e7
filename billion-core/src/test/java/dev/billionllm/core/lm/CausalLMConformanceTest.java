package dev.billionllm.core.lm;

import dev.billionllm.core.testing.Greedy;
import dev.billionllm.core.testing.LogitDiff;
import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The acceptance suite every backend passes: one set of checks, run per backend against the
 * goldens of the model its fixture mirrors, so that backends cannot drift apart. A new backend
 * (or model) is one more line in {@link #cases()}.
 *
 * <p>Checks: full-prompt logits, greedy decoding with the cache, cached steps against the
 * uncached goldens, a left-padded batch (logits at real positions, then greedy tokens per row),
 * truncation and copies of the cache, concurrent calls with one cache per thread, and argument
 * errors.
 */
class CausalLMConformanceTest {

    /**
     * One backend on one model.
     *
     * @param backend {@link Backends} name
     * @param model fixture folder the backend loads
     * @param golden fixture folder whose golden.json / golden.safetensors the results must match
     * @param tolerance max absolute logit error
     */
    record Case(String backend, String model, String golden, double tolerance) {
        @Override
        public String toString() {
            return backend + " on " + model;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("onnxruntime", "tiny-tinyllama-onnx", "tiny-tinyllama", 1e-4),
                new Case("pytorch", "tiny-tinyllama", "tiny-tinyllama", 1e-4),
                new Case("pytorch", "tiny-llama32", "tiny-llama32", 1e-4),
                new Case("pytorch", "tiny-stablelm2", "tiny-stablelm2", 1e-4),
                new Case("pytorch", "tiny-pythia", "tiny-pythia", 1e-4));
    }

    private static final int NEW_TOKENS = 24;
    private static final Map<Case, CausalLM> MODELS = new ConcurrentHashMap<>();

    private static CausalLM model(Case c) {
        return MODELS.computeIfAbsent(c, k -> {
            Path folder = Fixtures.dir(k.model());
            // One intra-op thread: the tiny models gain nothing from more, and build machines share cores.
            return Backends.get(k.backend()).load(folder, ModelConfigParser.parse(folder),
                    LoadOptions.builder().optThreads(1).build());
        });
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(CausalLM::close);
        MODELS.clear();
    }

    private static GoldenTensors tensors(Case c) {
        return GoldenTensors.read(Fixtures.dir(c.golden()).resolve("golden.safetensors"));
    }

    private static JsonObject json(Case c) {
        return ModelConfigParser.readJson(Fixtures.dir(c.golden()).resolve("golden.json"));
    }

    private static int promptCount(Case c) {
        return json(c).getAsJsonArray("prompts").size();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void prefillLogitsMatchGoldens(Case c) {
        CausalLM lm = model(c);
        GoldenTensors g = tensors(c);
        double worst = 0;
        for (int p = 0; p < promptCount(c); p++) {
            int[] ids = g.ints("prompt" + p + ".input_ids");
            float[] expected = g.floats("prompt" + p + ".logits");
            try (KvCache cache = lm.newCache(1, ids.length)) {
                Logits logits = lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL);
                assertThat(logits.batch()).isEqualTo(1);
                assertThat(logits.positions()).isEqualTo(ids.length);
                assertThat(logits.vocab()).isEqualTo(lm.config().vocabSize());
                assertThat(cache.length()).isEqualTo(ids.length);
                double err = maxAbs(logits.values(), 0, expected, 0, expected.length);
                assertThat(err).as("prompt %d max abs logit error", p).isLessThanOrEqualTo(c.tolerance());
                worst = Math.max(worst, err);
            }
        }
        System.out.printf("[conformance] %s: prefill max abs logit error %.3g over %d prompts%n", c, worst,
                promptCount(c));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lastModeReturnsEachRowsLastPosition(Case c) {
        CausalLM lm = model(c);
        GoldenTensors g = tensors(c);
        int[] ids = g.ints("prompt1.input_ids");
        float[] expected = g.floats("prompt1.logits");
        int vocab = lm.config().vocabSize();
        try (KvCache cache = lm.newCache(1, ids.length)) {
            Logits last = lm.forward(TokenBatch.of(ids), cache, LogitsMode.LAST);
            assertThat(last.positions()).isEqualTo(1);
            assertThat(maxAbs(last.values(), 0, expected, (ids.length - 1) * vocab, vocab))
                    .isLessThanOrEqualTo(c.tolerance());
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void greedyDecodingMatchesGoldenTokens(Case c) {
        CausalLM lm = model(c);
        JsonArray generation = json(c).getAsJsonArray("generation");
        GoldenTensors g = tensors(c);
        for (int p = 0; p < generation.size(); p++) {
            int[] prompt = g.ints("prompt" + p + ".input_ids");
            int[] expected = intArray(generation.get(p).getAsJsonObject().getAsJsonArray("greedy_new_ids"));
            int[][] actual = Greedy.decode(lm, new int[][] {prompt}, new int[][] {ones(prompt.length)}, expected.length);
            assertThat(actual[0]).as("prompt %d greedy tokens", p).containsExactly(expected);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void concurrentGenerationsWithOwnCachesMatchGoldens(Case c) throws Exception {
        CausalLM lm = model(c);
        JsonArray generation = json(c).getAsJsonArray("generation");
        GoldenTensors g = tensors(c);
        ExecutorService pool = Executors.newFixedThreadPool(generation.size());
        try {
            List<Future<int[]>> runs = new ArrayList<>();
            for (int p = 0; p < generation.size(); p++) {
                int[] prompt = g.ints("prompt" + p + ".input_ids");
                runs.add(pool.submit(() -> Greedy.decode(lm, new int[][] {prompt}, new int[][] {ones(prompt.length)},
                        NEW_TOKENS)[0]));
            }
            for (int p = 0; p < runs.size(); p++) {
                assertThat(runs.get(p).get(60, TimeUnit.SECONDS)).as("prompt %d on its own thread", p)
                        .containsExactly(intArray(generation.get(p).getAsJsonObject().getAsJsonArray("greedy_new_ids")));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void cachedStepsMatchTheUncachedGoldens(Case c) {
        CausalLM lm = model(c);
        GoldenTensors g = tensors(c);
        int[] ids = g.ints("prompt1.input_ids");
        float[] expected = g.floats("prompt1.logits");
        int vocab = lm.config().vocabSize();
        int split = 3;
        double worst = 0;
        try (KvCache cache = lm.newCache(1, ids.length)) {
            Logits first = lm.forward(TokenBatch.of(Arrays.copyOf(ids, split)), cache, LogitsMode.ALL);
            worst = maxAbs(first.values(), 0, expected, 0, split * vocab);
            for (int t = split; t < ids.length; t++) {
                Logits step = lm.forward(TokenBatch.of(ids[t]), cache, LogitsMode.LAST);
                worst = Math.max(worst, maxAbs(step.values(), 0, expected, t * vocab, vocab));
            }
            assertThat(cache.length()).isEqualTo(ids.length);
        }
        assertThat(worst).isLessThanOrEqualTo(c.tolerance());
        System.out.printf("[conformance] %s: cached steps max abs logit error %.3g%n", c, worst);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void leftPaddedBatchMatchesGoldenLogitsAtRealPositions(Case c) {
        CausalLM lm = model(c);
        GoldenTensors g = tensors(c);
        int[][] ids = g.intRows("batch.input_ids");
        int[][] mask = g.intRows("batch.attention_mask");
        float[] expected = g.floats("batch.logits");
        int seq = ids[0].length;
        int vocab = lm.config().vocabSize();
        assertThat(Arrays.stream(mask).flatMapToInt(Arrays::stream).anyMatch(m -> m == 0))
                .as("the golden batch has padding").isTrue();
        double worst;
        try (KvCache cache = lm.newCache(ids.length, seq)) {
            Logits logits = lm.forward(TokenBatch.of(ids, mask), cache, LogitsMode.ALL);
            worst = LogitDiff.maxAbsAtRealPositions(logits, expected, mask, vocab);
        }
        assertThat(worst).isLessThanOrEqualTo(c.tolerance());
        System.out.printf("[conformance] %s: left-padded batch max abs logit error %.3g%n", c, worst);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void leftPaddedBatchGreedyMatchesGoldenTokens(Case c) {
        CausalLM lm = model(c);
        GoldenTensors g = tensors(c);
        JsonArray rows = json(c).getAsJsonObject("batch_generation").getAsJsonArray("new_ids");
        int[][] actual = Greedy.decode(lm, g.intRows("batch.input_ids"), g.intRows("batch.attention_mask"), NEW_TOKENS);
        for (int b = 0; b < rows.size(); b++) {
            assertThat(actual[b]).as("row %d", b).containsExactly(intArray(rows.get(b).getAsJsonArray()));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void truncateAndCopyRollBackExactly(Case c) {
        CausalLM lm = model(c);
        GoldenTensors g = tensors(c);
        int[] ids = g.ints("prompt1.input_ids");
        float[] expected = g.floats("prompt1.logits");
        int vocab = lm.config().vocabSize();
        int n = ids.length;
        try (KvCache cache = lm.newCache(1, n + 4)) {
            lm.forward(TokenBatch.of(Arrays.copyOf(ids, n - 2)), cache, LogitsMode.LAST);
            try (KvCache fork = cache.copy()) {
                assertThat(fork.length()).isEqualTo(n - 2);
                assertThat(fork.capacity()).isEqualTo(cache.capacity());
                // Extending the copy with other tokens must leave the original untouched ...
                lm.forward(TokenBatch.of(5, 6, 7), fork, LogitsMode.LAST);
                assertThat(fork.length()).isEqualTo(n + 1);
                Logits tail = lm.forward(TokenBatch.of(ids[n - 2], ids[n - 1]), cache, LogitsMode.ALL);
                assertThat(maxAbs(tail.values(), 0, expected, (n - 2) * vocab, 2 * vocab))
                        .isLessThanOrEqualTo(c.tolerance());
                // ... and rolling the copy back past its own tokens must give the same result.
                fork.truncate(n - 2);
                assertThat(fork.length()).isEqualTo(n - 2);
                Logits again = lm.forward(TokenBatch.of(ids[n - 2], ids[n - 1]), fork, LogitsMode.ALL);
                assertThat(maxAbs(again.values(), 0, expected, (n - 2) * vocab, 2 * vocab))
                        .isLessThanOrEqualTo(c.tolerance());
            }
            // Truncating to the start is an empty cache again.
            cache.truncate(0);
            assertThat(cache.length()).isZero();
            Logits fresh = lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL);
            assertThat(maxAbs(fresh.values(), 0, expected, 0, expected.length)).isLessThanOrEqualTo(c.tolerance());
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void badArgumentsFailClearly(Case c) {
        CausalLM lm = model(c);
        try (KvCache cache = lm.newCache(1, 4)) {
            // Messages differ per backend; each must at least quote the capacity and what was needed.
            assertThatThrownBy(() -> lm.forward(TokenBatch.of(1, 2, 3, 4, 5), cache, LogitsMode.LAST))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4").hasMessageContaining("5");
            assertThatThrownBy(() -> lm.forward(TokenBatch.of(new int[][] {{1}, {1}}), cache, LogitsMode.LAST))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows");
            assertThatThrownBy(() -> cache.truncate(1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> cache.truncate(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(cache.length()).as("failed calls leave the cache as it was").isZero();
            lm.forward(TokenBatch.of(1, 2), cache, LogitsMode.LAST);
            assertThat(cache.length()).isEqualTo(2);
        }
        int maxPositions = lm.config().maxPositionEmbeddings();
        assertThatThrownBy(() -> lm.newCache(1, maxPositions + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max_position_embeddings").hasMessageContaining(String.valueOf(maxPositions));
        try (KvCache full = lm.newCache(1, maxPositions)) {
            assertThat(full.capacity()).isEqualTo(maxPositions);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void cacheSizeCountsCapacity(Case c) {
        CausalLM lm = model(c);
        var cfg = lm.config();
        try (KvCache cache = lm.newCache(2, 10)) {
            // fp32 keys and values for every layer, row, kv head and position that fits.
            long expected = 2L * cfg.numHiddenLayers() * 2 * cfg.numKeyValueHeads() * 10 * cfg.headDim() * 4;
            assertThat(cache.sizeInBytes()).isEqualTo(expected);
            assertThat(cache.batchSize()).isEqualTo(2);
            assertThat(cache.capacity()).isEqualTo(10);
        }
    }


    private static int[] intArray(JsonArray a) {
        int[] out = new int[a.size()];
        int i = 0;
        for (JsonElement e : a) {
            out[i++] = e.getAsInt();
        }
        return out;
    }

    private static int[] ones(int n) {
        int[] m = new int[n];
        Arrays.fill(m, 1);
        return m;
    }
}
