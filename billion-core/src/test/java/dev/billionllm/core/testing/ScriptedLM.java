package dev.billionllm.core.testing;

import dev.billionllm.core.config.Activation;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.NormKind;
import dev.billionllm.core.config.RopeConfig;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic {@link CausalLM} for unit tests: no weights, its logits come from a script (the
 * tokens to produce after the prompt) or from a function of the ids so far. It goes through the
 * same {@code Generator} code as a real model, with a working {@link KvCache} (padding, truncate,
 * copy), so tests of generation logic need no model files.
 *
 * <pre>{@code
 * // answers every prompt with ids 5, 6, 7 and then eos (2)
 * ScriptedLM lm = ScriptedLM.builder().optVocabSize(32).optEosTokenIds(2).setScript(5, 6, 7, 2).build();
 * // or: logits as a function of the ids so far (here: always repeat the last id)
 * ScriptedLM echo = ScriptedLM.builder().optVocabSize(32).setLogits(ids -> ScriptedLM.oneHot(32, ids[ids.length - 1])).build();
 * }</pre>
 *
 * <p>Thread-safe as long as the logits function is: concurrent calls use their own caches.
 */
public final class ScriptedLM implements CausalLM {

    /** The logit a script gives its chosen id (every other id gets 0): sampling picks it too. */
    public static final float SCRIPTED_LOGIT = 30f;

    /** Next-token logits from the ids a row has seen. */
    @FunctionalInterface
    public interface LogitsFunction {
        /**
         * @param ids the row's real tokens so far (prompt and generated, no padding), the last one
         *     being the position whose next token is asked for
         * @return logits, {@code vocabSize} wide
         */
        float[] logits(int[] ids);
    }

    /** Internal form: a script also needs to know where the prompt ended. */
    private interface Source {
        float[] logits(int[] ids, int promptLength);
    }

    private final ModelConfig config;
    private final int usableVocabSize;
    private final Source source;
    private final AtomicInteger forwardCalls = new AtomicInteger();
    private volatile boolean closed;

    private ScriptedLM(Builder b) {
        this.config = new ModelConfig(Family.LLAMA, b.vocabSize, 8, 16, 1, 1, 1, 8, b.maxPositionEmbeddings,
                NormKind.RMS_NORM, 1e-5, MlpKind.GATED, Activation.SILU, RopeConfig.simple(10000.0),
                false, false, false, false, false, false, false, -1, b.eosTokenIds, -1, "float32");
        this.usableVocabSize = b.usableVocabSize > 0 ? b.usableVocabSize : b.vocabSize;
        if (usableVocabSize > b.vocabSize) {
            throw new IllegalArgumentException("usableVocabSize " + usableVocabSize + " is past vocabSize " + b.vocabSize);
        }
        if (b.script != null) {
            int[] script = b.script;
            for (int id : script) {
                if (id < 0 || id >= b.vocabSize) {
                    throw new IllegalArgumentException("script id " + id + " is outside the vocabulary [0, "
                            + b.vocabSize + ")");
                }
            }
            int vocab = b.vocabSize;
            this.source = (ids, promptLength) -> {
                int step = Math.max(0, ids.length - promptLength);
                return oneHot(vocab, script[Math.min(step, script.length - 1)]);
            };
        } else if (b.function != null) {
            LogitsFunction f = b.function;
            this.source = (ids, promptLength) -> f.logits(ids);
        } else {
            throw new IllegalStateException("a ScriptedLM needs setScript(...) or setLogits(...)");
        }
    }

    /** A builder: vocabulary 64, context 2048, no eos ids; a script or a function is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Logits of width {@code vocabSize} that choose {@code id}: {@link #SCRIPTED_LOGIT} there, 0
     * elsewhere.
     */
    public static float[] oneHot(int vocabSize, int id) {
        float[] l = new float[vocabSize];
        l[id] = SCRIPTED_LOGIT;
        return l;
    }

    /** Forward passes run so far (all caches); tests use it to check prefill and step counts. */
    public int forwardCalls() {
        return forwardCalls.get();
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int usableVocabSize() {
        return usableVocabSize;
    }

    @Override
    public KvCache newCache(int batchSize, int capacity) {
        checkOpen();
        return new ScriptedCache(this, batchSize, capacity);
    }

    @Override
    public Logits forward(TokenBatch batch, KvCache cache, LogitsMode mode) {
        checkOpen();
        Objects.requireNonNull(mode, "mode");
        // A scripted model reports a full cache as a state error (what its tests pin down).
        ScriptedCache c = AbstractKvCache.checkForward(this, ScriptedCache.class, cache, batch,
                IllegalStateException::new);
        forwardCalls.incrementAndGet();
        int seq = batch.length();
        int past = c.length();
        int vocab = config.vocabSize();
        int positions = mode == LogitsMode.LAST ? 1 : seq;
        float[] out = new float[batch.batchSize() * positions * vocab];
        for (int b = 0; b < batch.batchSize(); b++) {
            if (past == 0 || c.promptLength[b] < 0) {
                int real = 0;
                for (int t = 0; t < seq; t++) {
                    real += batch.mask(b, t);
                }
                c.promptLength[b] = real;
            }
            // the row's real ids so far, extended as the new tokens come in
            int[] seen = c.realIds(b, past);
            int count = seen.length;
            seen = Arrays.copyOf(seen, count + seq);
            for (int t = 0; t < seq; t++) {
                c.ids[b][past + t] = batch.id(b, t);
                if (batch.mask(b, t) == 1) {
                    seen[count++] = batch.id(b, t);
                }
                boolean wanted = mode == LogitsMode.ALL || t == seq - 1;
                if (wanted && batch.mask(b, t) == 1) {
                    float[] l = source.logits(Arrays.copyOf(seen, count), c.promptLength[b]);
                    if (l == null || l.length != vocab) {
                        throw new IllegalStateException("the logits function returned "
                                + (l == null ? "null" : l.length + " values") + "; expected " + vocab);
                    }
                    int p = mode == LogitsMode.ALL ? t : 0;
                    System.arraycopy(l, 0, out, (b * positions + p) * vocab, vocab);
                }
            }
        }
        c.advance(AbstractKvCache.maskOf(batch));
        return new Logits(batch.batchSize(), positions, vocab, out);
    }

    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this ScriptedLM is closed");
        }
    }

    /** Remembers every id fed; {@link AbstractKvCache} keeps which ones were padding. */
    private static final class ScriptedCache extends AbstractKvCache {
        final int[][] ids;
        final int[] promptLength; // real tokens of each row's first forward; -1 before it

        ScriptedCache(ScriptedLM owner, int batchSize, int capacity) {
            super(owner, batchSize, capacity);
            this.ids = new int[batchSize][capacity];
            this.promptLength = new int[batchSize];
            Arrays.fill(promptLength, -1);
        }

        ScriptedCache(ScriptedCache from) {
            super(from);
            this.ids = new int[from.ids.length][];
            for (int b = 0; b < ids.length; b++) {
                ids[b] = from.ids[b].clone();
            }
            this.promptLength = from.promptLength.clone();
        }

        /** Row {@code row}'s real ids among its first {@code upTo} positions. */
        int[] realIds(int row, int upTo) {
            int[] out = new int[upTo];
            int n = 0;
            for (int t = 0; t < upTo; t++) {
                if (isReal(row, t)) {
                    out[n++] = ids[row][t];
                }
            }
            return Arrays.copyOf(out, n);
        }

        void advance(int[][] newMask) {
            append(newMask);
        }

        @Override
        protected void truncateStorage(int newLength) {
            for (int b = 0; b < ids.length; b++) {
                int realCount = realIds(b, newLength).length;
                promptLength[b] = newLength == 0 ? -1 : Math.min(promptLength[b], realCount);
            }
        }

        @Override
        public KvCache copy() {
            return new ScriptedCache(this);
        }

        /** The ids and padding flags it stores (a real cache stores keys and values). */
        @Override
        public long sizeInBytes() {
            return (long) batchSize() * capacity() * (Integer.BYTES + 1);
        }

        @Override
        protected void release() {
            // nothing native to free
        }
    }

    /** Builds a {@link ScriptedLM}. */
    public static final class Builder {
        private int vocabSize = 64;
        private int usableVocabSize;
        private int maxPositionEmbeddings = 2048;
        private List<Integer> eosTokenIds = List.of();
        private int[] script;
        private LogitsFunction function;

        private Builder() {}

        /** Width of the logits ({@code config().vocabSize()}). Default 64. */
        public Builder optVocabSize(int vocabSize) {
            if (vocabSize < 1) {
                throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
            }
            this.vocabSize = vocabSize;
            return this;
        }

        /** Ids the model may produce, to test padded vocabularies. Default: the vocabulary size. */
        public Builder optUsableVocabSize(int usableVocabSize) {
            if (usableVocabSize < 1) {
                throw new IllegalArgumentException("usableVocabSize must be >= 1, got " + usableVocabSize);
            }
            this.usableVocabSize = usableVocabSize;
            return this;
        }

        /** Context length ({@code config().maxPositionEmbeddings()}). Default 2048. */
        public Builder optMaxPositionEmbeddings(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxPositionEmbeddings must be >= 1, got " + n);
            }
            this.maxPositionEmbeddings = n;
            return this;
        }

        /** The model's eos ids ({@code config().eosTokenIds()}). Default: none. */
        public Builder optEosTokenIds(int... ids) {
            this.eosTokenIds = Arrays.stream(ids).boxed().toList();
            return this;
        }

        /**
         * The ids to produce after the prompt, one per step; after the last one the last repeats.
         * Each row's prompt is what its first forward pass (on an empty cache) fed.
         */
        public Builder setScript(int... tokens) {
            if (tokens.length == 0) {
                throw new IllegalArgumentException("a script needs at least one token");
            }
            this.script = tokens.clone();
            this.function = null;
            return this;
        }

        /** Logits as a function of the ids so far. */
        public Builder setLogits(LogitsFunction function) {
            this.function = Objects.requireNonNull(function, "logits function");
            this.script = null;
            return this;
        }

        public ScriptedLM build() {
            return new ScriptedLM(this);
        }
    }
}
