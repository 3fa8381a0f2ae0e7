package dev.billionllm.core.internal.backend.pytorch;

import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import java.util.Random;
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
}
