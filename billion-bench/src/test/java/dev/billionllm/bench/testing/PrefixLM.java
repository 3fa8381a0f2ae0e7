package dev.billionllm.bench.testing;

import com.google.gson.JsonObject;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A test {@link CausalLM} whose logits at each position are a function of the ids up to and
 * including it, so that tests know every log-probability. Its cache keeps the ids; it also counts
 * forward calls and tokens for tests of how work is split.
 */
public final class PrefixLM implements CausalLM {

    private final ModelConfig config;
    private final Function<int[], float[]> logitsOfPrefix;
    public int forwardCalls;
    public long forwardTokens;

    /**
     * @param vocab logits width
     * @param maxPositions the config's max_position_embeddings
     * @param logitsOfPrefix logits after the given ids (length {@code vocab})
     */
    public PrefixLM(int vocab, int maxPositions, Function<int[], float[]> logitsOfPrefix) {
        JsonObject json = ModelConfigParser.readJson(Fixtures.dir("tiny-tinyllama").resolve("config.json"));
        json.addProperty("vocab_size", vocab);
        json.addProperty("max_position_embeddings", maxPositions);
        this.config = ModelConfigParser.parse(json, "PrefixLM");
        this.logitsOfPrefix = logitsOfPrefix;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int usableVocabSize() {
        return config.vocabSize();
    }

    @Override
    public KvCache newCache(int batchSize, int capacity) {
        if (batchSize != 1) {
            throw new IllegalArgumentException("PrefixLM supports one row");
        }
        return new IdCache(new int[0], capacity);
    }

    @Override
    public Logits forward(TokenBatch batch, KvCache cache, LogitsMode mode) {
        IdCache c = (IdCache) cache;
        int[] add = batch.row(0);
        if (c.ids.length + add.length > c.capacity) {
            throw new IllegalStateException("cache capacity " + c.capacity + " exceeded");
        }
        if (c.ids.length + add.length > config.maxPositionEmbeddings()) {
            throw new IllegalStateException("input past max_position_embeddings");
        }
        forwardCalls++;
        forwardTokens += add.length;
        int start = c.ids.length;
        int[] all = Arrays.copyOf(c.ids, start + add.length);
        System.arraycopy(add, 0, all, start, add.length);
        c.ids = all;
        int v = config.vocabSize();
        int first = mode == LogitsMode.ALL ? start : all.length - 1;
        int positions = all.length - first;
        float[] out = new float[positions * v];
        for (int t = first; t < all.length; t++) {
            float[] l = logitsOfPrefix.apply(Arrays.copyOf(all, t + 1));
            System.arraycopy(l, 0, out, (t - first) * v, v);
        }
        return new Logits(1, positions, v, out);
    }

    @Override
    public void close() {}

    private static final class IdCache implements KvCache {
        int[] ids;
        final int capacity;

        IdCache(int[] ids, int capacity) {
            this.ids = ids;
            this.capacity = capacity;
        }

        @Override
        public int batchSize() {
            return 1;
        }

        @Override
        public int length() {
            return ids.length;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public void truncate(int length) {
            if (length < 0 || length > ids.length) {
                throw new IllegalArgumentException("bad length " + length);
            }
            ids = Arrays.copyOf(ids, length);
        }

        @Override
        public KvCache copy() {
            return new IdCache(ids.clone(), capacity);
        }

        @Override
        public long sizeInBytes() {
            return 4L * capacity;
        }

        @Override
        public void close() {}
    }
}
