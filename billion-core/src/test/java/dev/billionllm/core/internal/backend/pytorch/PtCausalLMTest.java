package dev.billionllm.core.internal.backend.pytorch;

import dev.billionllm.core.testing.Greedy;
import dev.billionllm.core.testing.ResidentMemoryTrend;
import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.SafetensorsSource;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The PyTorch backend against transformers' goldens for every seed family. */
class PtCausalLMTest {
    private static final double TOL = 1e-4;

    /** A fixture's model, goldens and usable vocabulary. */
    record Fixture(String name, CausalLM lm, JsonObject golden, SafetensorsSource tensors) implements AutoCloseable {
        static Fixture open(String name) {
            Path dir = Fixtures.dir(name);
            Backend backend = Backends.get("pytorch");
            assertThat(backend.canLoad(dir)).isTrue();
            // One intra-op thread: the tiny models gain nothing from more, and the build machine's
            // cores are shared, where spinning worker threads make every op slower.
            CausalLM lm = backend.load(dir, ModelConfigParser.parse(dir),
                    LoadOptions.builder().optUsableVocabSize(tokenizerSize(dir)).optThreads(1).build());
            return new Fixture(name, lm, ModelConfigParser.readJson(dir.resolve("golden.json")),
                    Safetensors.open(dir.resolve("golden.safetensors")));
        }

        int[] ids(String key) {
            return Arrays.stream(tensors.longs(key)).mapToInt(Math::toIntExact).toArray();
        }

        @Override
        public void close() {
            lm.close();
            tensors.close();
        }
    }

    /** One past the largest id in tokenizer.json: ids at or above it are padding rows of the vocab. */
    static int tokenizerSize(Path dir) {
        JsonObject tok = ModelConfigParser.readJson(dir.resolve("tokenizer.json"));
        int max = -1;
        for (var e : tok.getAsJsonObject("model").getAsJsonObject("vocab").entrySet()) {
            max = Math.max(max, e.getValue().getAsInt());
        }
        for (var e : tok.getAsJsonArray("added_tokens")) {
            max = Math.max(max, e.getAsJsonObject().get("id").getAsInt());
        }
        return max + 1;
    }

    static int[] intArray(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }


    static Logits noCache(CausalLM lm, int[] ids, LogitsMode mode) {
        try (KvCache cache = lm.newCache(1, ids.length)) {
            return lm.forward(TokenBatch.of(ids), cache, mode);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia",
            "small-llama-pair/small-llama-target"})
    void promptLogitsMatchTransformers(String name) {
        try (Fixture f = Fixture.open(name)) {
            int vocab = f.lm().config().vocabSize();
            double worst = 0;
            for (int p = 0; p < f.golden().getAsJsonArray("prompts").size(); p++) {
                int[] ids = f.ids("prompt" + p + ".input_ids");
                assertThat(ids).containsExactly(intArray(
                        f.golden().getAsJsonArray("prompts").get(p).getAsJsonObject().getAsJsonArray("input_ids")));
                float[] expected = f.tensors().floats("prompt" + p + ".logits");
                Logits logits = noCache(f.lm(), ids, LogitsMode.ALL);
                assertThat(logits.values()).hasSize(ids.length * vocab);
                double d = maxAbs(logits.values(), 0, expected, 0, expected.length);
                assertThat(d).as("%s prompt %d max abs logit diff", name, p).isLessThanOrEqualTo(TOL);
                worst = Math.max(worst, d);
            }
            System.out.printf("%s: prompt logits max abs diff %.3g%n", name, worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia",
            "small-llama-pair/small-llama-target"})
    void greedyWithCacheMatchesTransformers(String name) {
        try (Fixture f = Fixture.open(name)) {
            JsonArray gens = f.golden().getAsJsonArray("generation");
            for (int p = 0; p < gens.size(); p++) {
                int[] expected = intArray(gens.get(p).getAsJsonObject().getAsJsonArray("greedy_new_ids"));
                int[] prompt = f.ids("prompt" + p + ".input_ids");
                int[] got = greedy(f.lm(), TokenBatch.of(prompt), expected.length)[0];
                assertThat(got).as("%s prompt %d", name, p).containsExactly(expected);
            }
        }
    }

    /** Greedy decoding: one prefill, then one token per step; every row keeps going. */
    static int[][] greedy(CausalLM lm, TokenBatch prompt, int steps) {
        int rows = prompt.batchSize();
        int[][] out = new int[rows][steps];
        try (KvCache cache = lm.newCache(rows, prompt.length() + steps)) {
            Logits logits = lm.forward(prompt, cache, LogitsMode.LAST);
            for (int s = 0; s < steps; s++) {
                int[][] next = new int[rows][1];
                for (int b = 0; b < rows; b++) {
                    out[b][s] = Greedy.argmax(logits.values(), logits.offset(b, 0), lm.usableVocabSize());
                    next[b][0] = out[b][s];
                }
                if (s + 1 < steps) {
                    logits = lm.forward(TokenBatch.of(next), cache, LogitsMode.LAST);
                }
            }
            assertThat(cache.length()).isEqualTo(prompt.length() + steps - 1);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia",
            "small-llama-pair/small-llama-target"})
    void leftPaddedBatchMatchesTransformers(String name) {
        try (Fixture f = Fixture.open(name)) {
            int[] ids = f.ids("batch.input_ids");
            int[] mask = f.ids("batch.attention_mask");
            int seq = ids.length / 2;
            int[][] idRows = {Arrays.copyOfRange(ids, 0, seq), Arrays.copyOfRange(ids, seq, 2 * seq)};
            int[][] maskRows = {Arrays.copyOfRange(mask, 0, seq), Arrays.copyOfRange(mask, seq, 2 * seq)};
            assertThat(Arrays.stream(mask).sum()).as("the batch has padding").isLessThan(2 * seq);
            TokenBatch batch = TokenBatch.of(idRows, maskRows);

            float[] expected = f.tensors().floats("batch.logits");
            int vocab = f.lm().config().vocabSize();
            Logits logits;
            try (KvCache cache = f.lm().newCache(2, seq)) {
                logits = f.lm().forward(batch, cache, LogitsMode.ALL);
            }
            double worst = 0;
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < seq; t++) {
                    if (maskRows[b][t] == 1) {
                        worst = Math.max(worst, maxAbs(logits.values(), logits.offset(b, t), expected,
                                (b * seq + t) * vocab, vocab));
                    }
                }
            }
            System.out.printf("%s: batch logits max abs diff %.3g%n", name, worst);
            assertThat(worst).isLessThanOrEqualTo(TOL);

            JsonArray newIds = f.golden().getAsJsonObject("batch_generation").getAsJsonArray("new_ids");
            int[][] got = greedy(f.lm(), batch, newIds.get(0).getAsJsonArray().size());
            for (int b = 0; b < 2; b++) {
                assertThat(got[b]).as("%s batch row %d", name, b).containsExactly(intArray(newIds.get(b).getAsJsonArray()));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia",
            "small-llama-pair/small-llama-target"})
    void meanNllMatchesTransformers(String name) {
        try (Fixture f = Fixture.open(name)) {
            JsonObject loss = f.golden().getAsJsonObject("loss");
            int[] ids = intArray(loss.getAsJsonArray("input_ids"));
            Logits logits = noCache(f.lm(), ids, LogitsMode.ALL);
            double nll = 0;
            for (int t = 0; t + 1 < ids.length; t++) {
                int o = logits.offset(0, t);
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < logits.vocab(); i++) {
                    max = Math.max(max, logits.values()[o + i]);
                }
                double sum = 0;
                for (int i = 0; i < logits.vocab(); i++) {
                    sum += Math.exp(logits.values()[o + i] - max);
                }
                nll += max + Math.log(sum) - logits.values()[o + ids[t + 1]];
            }
            double mean = nll / (ids.length - 1);
            System.out.printf("%s: mean NLL %.7f vs %.7f%n", name, mean, loss.get("mean_nll").getAsDouble());
            assertThat(mean).isCloseTo(loss.get("mean_nll").getAsDouble(), org.assertj.core.data.Offset.offset(TOL));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void cachedStepEqualsUncachedForwardAndTruncationRollsBack(String name) {
        try (Fixture f = Fixture.open(name)) {
            CausalLM lm = f.lm();
            int[] ids = f.ids("prompt3.input_ids");
            int n = ids.length;
            float[] full = noCache(lm, ids, LogitsMode.LAST).values();
            try (KvCache cache = lm.newCache(1, n + 4)) {
                lm.forward(TokenBatch.of(Arrays.copyOf(ids, n - 1)), cache, LogitsMode.LAST);
                float[] step = lm.forward(TokenBatch.of(ids[n - 1]), cache, LogitsMode.LAST).values();
                assertThat(maxAbs(step, 0, full, 0, full.length)).isLessThanOrEqualTo(TOL);

                // Feed two draft tokens, roll them back, feed the last prompt token again.
                lm.forward(TokenBatch.of(5, 6), cache, LogitsMode.LAST);
                assertThat(cache.length()).isEqualTo(n + 2);
                cache.truncate(n - 1);
                float[] again = lm.forward(TokenBatch.of(ids[n - 1]), cache, LogitsMode.LAST).values();
                assertThat(maxAbs(again, 0, full, 0, full.length)).isLessThanOrEqualTo(TOL);

                // A copy extends independently of the original.
                try (KvCache fork = cache.copy()) {
                    float[] a = lm.forward(TokenBatch.of(7), fork, LogitsMode.LAST).values();
                    assertThat(cache.length()).isEqualTo(n);
                    assertThat(fork.length()).isEqualTo(n + 1);
                    float[] b = lm.forward(TokenBatch.of(7), cache, LogitsMode.LAST).values();
                    assertThat(maxAbs(a, 0, b, 0, a.length)).isLessThanOrEqualTo(1e-6);
                }
            }
        }
    }

    @Test
    void rejectsBadInput() {
        try (Fixture f = Fixture.open("tiny-tinyllama"); KvCache cache = f.lm().newCache(1, 4)) {
            int vocab = f.lm().config().vocabSize();
            assertThatThrownBy(() -> f.lm().forward(TokenBatch.of(1, vocab), cache, LogitsMode.LAST))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
            assertThatThrownBy(() -> f.lm().forward(TokenBatch.of(1, 2, 3, 4, 5), cache, LogitsMode.LAST))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("larger cache");
            assertThatThrownBy(() -> cache.truncate(1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(cache.length()).isZero();
        }
    }

    @Test
    void threeThousandDecodeStepsKeepResidentMemoryFlat() throws IOException {
        try (Fixture f = Fixture.open("tiny-tinyllama")) {
            CausalLM lm = f.lm();
            int[] prompt = f.ids("prompt1.input_ids");
            // The first ~1,000 steps still grow RSS by ~15 MB (JIT, allocator pools) and then stop.
            int warmup = 1000;
            ResidentMemoryTrend trend = new ResidentMemoryTrend(4, 500);
            // 3,000 steps exceed max_position_embeddings (2048): the cache rolls back to the prompt when
            // full, which also checks that truncation leaves nothing behind.
            try (KvCache cache = lm.newCache(1, lm.config().maxPositionEmbeddings())) {
                Logits logits = lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
                int arrays = 0;
                for (int s = 0; s < warmup + trend.steps(); s++) {
                    if (s == warmup) {
                        arrays = ((PtCausalLM) lm).liveArrays();
                    }
                    if (s >= warmup && (s - warmup) % 50 == 0) {
                        trend.sample(s - warmup);
                    }
                    int next = Greedy.argmax(logits.values(), 0, lm.usableVocabSize());
                    if (cache.length() == cache.capacity()) {
                        cache.truncate(prompt.length);
                    }
                    logits = lm.forward(TokenBatch.of(next), cache, LogitsMode.LAST);
                }
                System.out.printf("%d decode steps: %s (smallest growth %d kB); live arrays %d -> %d%n",
                        warmup + trend.steps(), trend, trend.smallestGrowthKb(), arrays,
                        ((PtCausalLM) lm).liveArrays());
                // No step leaves an engine array behind (exact). RSS is noisy (the native allocator keeps and
                // returns tens of MB in bursts), but a leak of 5 kB per step would raise every window by 2.5 MB.
                assertThat(((PtCausalLM) lm).liveArrays()).isEqualTo(arrays);
                assertThat(trend.smallestGrowthKb()).isLessThan(2 * 1024);
            }
        }
    }
}
