package dev.billionllm.core.internal.backend.pytorch;

import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.generate.CancellationToken;
import dev.billionllm.core.generate.ContinuousBatcher;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.generate.TokenListener;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The cache grows with the tokens it holds, not with the capacity it was created for (issue 15: a
 * large max_new_tokens reserved gigabytes before the first token), and growing changes no logit.
 */
class PtKvCacheGrowthTest {

    @Test
    void storageGrowsWithUseAndGrowingKeepsLogitsExact() {
        Path dir = Fixtures.dir("tiny-tinyllama");
        try (CausalLM lm = Backends.get("pytorch").load(dir, ModelConfigParser.parse(dir),
                LoadOptions.builder().optThreads(1).build())) {
            int maxPositions = lm.config().maxPositionEmbeddings();
            int[] ids = new Random(15).ints(600, 3, lm.config().vocabSize()).toArray();
            Logits uncached;
            try (KvCache one = lm.newCache(1, ids.length)) {
                uncached = lm.forward(TokenBatch.of(ids), one, LogitsMode.LAST);
            }
            // Created for the whole context, fed in pieces that cross two growths (256 -> 512 -> 1024).
            try (KvCache cache = lm.newCache(1, maxPositions)) {
                PtKvCache pt = (PtKvCache) cache;
                assertThat(pt.allocated()).isEqualTo(AbstractKvCache.GROWTH_CHUNK);
                lm.forward(TokenBatch.of(java.util.Arrays.copyOfRange(ids, 0, 200)), cache, LogitsMode.LAST);
                assertThat(pt.allocated()).isEqualTo(256);
                lm.forward(TokenBatch.of(java.util.Arrays.copyOfRange(ids, 200, 300)), cache, LogitsMode.LAST);
                assertThat(pt.allocated()).isEqualTo(512);
                Logits last = null;
                for (int i = 300; i < ids.length; i++) {
                    last = lm.forward(TokenBatch.of(new int[] {ids[i]}), cache, LogitsMode.LAST);
                }
                assertThat(pt.allocated()).isEqualTo(1024);
                assertThat(cache.length()).isEqualTo(ids.length);
                assertThat(maxAbs(last.values(), uncached.values())).isLessThan(1e-4);

                // A copy keeps the grown storage and the same answers; truncating keeps it too.
                try (KvCache copy = cache.copy()) {
                    assertThat(((PtKvCache) copy).allocated()).isEqualTo(1024);
                    copy.truncate(299);
                    Logits again = lm.forward(TokenBatch.of(java.util.Arrays.copyOfRange(ids, 299, 600)), copy,
                            LogitsMode.LAST);
                    assertThat(maxAbs(again.values(), uncached.values())).isLessThan(1e-4);
                }
            }
        }
    }
    /** Stacking rows (continuous batching) sizes storage by what the rows hold and leaves no array behind. */
    @Test
    void stackedRowsOwnTheirStorageAndFreeItOnClose() {
        Path dir = Fixtures.dir("tiny-tinyllama");
        try (CausalLM lm = Backends.get("pytorch").load(dir, ModelConfigParser.parse(dir),
                LoadOptions.builder().optThreads(1).build())) {
            PtCausalLM pt = (PtCausalLM) lm;
            int before = pt.liveArrays();
            try (KvCache a = lm.newCache(1, 2048); KvCache b = lm.newCache(1, 2048)) {
                lm.forward(TokenBatch.of(new Random(1).ints(300, 3, 700).toArray()), a, LogitsMode.LAST);
                lm.forward(TokenBatch.of(1, 2, 3), b, LogitsMode.LAST);
                int withSources = pt.liveArrays();
                try (KvCache stacked = lm.stackRows(List.of(new CacheRow(a, 0),
                        new CacheRow(b, 0)), 2048)) {
                    assertThat(((PtKvCache) stacked).allocated()).isEqualTo(512);
                    assertThat(pt.liveArrays()).as("keys and values per layer, no temporaries")
                            .isEqualTo(withSources + 2 * lm.config().numHiddenLayers());
                    lm.forward(TokenBatch.of(new int[][] {{4}, {5}}), stacked, LogitsMode.LAST);
                }
                assertThat(pt.liveArrays()).isEqualTo(withSources);
            }
            assertThat(pt.liveArrays()).isEqualTo(before);
        }
    }
    /** Requests joining, leaving and cancelled in a continuous batch leave no engine array behind. */
    @Test
    void continuousBatchingFreesEveryCacheItMakes() throws Exception {
        Path dir = Fixtures.dir("tiny-tinyllama");
        try (CausalLM lm = Backends.get("pytorch").load(dir, ModelConfigParser.parse(dir),
                LoadOptions.builder().optThreads(1).build());
                Generator generator = Generator.builder(lm).build()) {
            PtCausalLM pt = (PtCausalLM) lm;
            int before = pt.liveArrays();
            Random random = new Random(3);
            try (ContinuousBatcher batcher = ContinuousBatcher.builder(generator).optMaxBatch(3).build()) {
                List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
                CancellationToken cancelled = new CancellationToken();
                for (int i = 0; i < 12; i++) {
                    int[] prompt = random.ints(1 + random.nextInt(20), 3, 700).toArray();
                    GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(2 + random.nextInt(12))
                            .build();
                    results.add(batcher.submit(Prompt.ids(prompt), config, TokenListener.NONE,
                            i == 5 ? cancelled : new CancellationToken()));
                }
                cancelled.cancel();
                for (CompletableFuture<GenerationResult> r : results) {
                    r.get(60, TimeUnit.SECONDS);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (batcher.cachedPositions() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(batcher.steps()).isPositive();
                assertThat(pt.liveArrays()).as("every prefill and batch cache freed").isEqualTo(before);
            }
        }
    }
}
