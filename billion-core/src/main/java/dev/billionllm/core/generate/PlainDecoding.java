package dev.billionllm.core.generate;

import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.util.List;

/**
 * Plain decoding: the rows are prefilled together with left padding, then one forward pass per step
 * for all rows, and each running row's {@link Sequence#sampler()} picks one token.
 */
final class PlainDecoding implements DecodingStrategy {
    static final PlainDecoding INSTANCE = new PlainDecoding();

    private PlainDecoding() {}

    @Override
    public String name() {
        return "plain";
    }

    @Override
    public Decoding start(Request request) {
        return new State(request.lm(), request.sequences(), request.padTokenId());
    }

    @Override
    public String toString() {
        return "plain decoding";
    }

    private static final class State implements Decoding {
        private final CausalLM lm;
        private final List<Sequence> rows;
        private final int padId;
        private KvCache cache;
        private long prefillNanos;
        private long forwardNanos;
        private int steps;

        State(CausalLM lm, List<Sequence> rows, int padId) {
            this.lm = lm;
            this.rows = rows;
            this.padId = padId;
        }

        @Override
        public void step() {
            long t0 = System.nanoTime();
            Logits logits = cache == null ? prefill() : forwardStep();
            long took = System.nanoTime() - t0;
            forwardNanos += took;
            if (steps++ == 0) {
                prefillNanos = took;
            }
            for (Sequence row : rows) {
                if (!row.isFinished()) {
                    row.append(row.pick(logits.last(row.row()), lm.usableVocabSize()));
                }
            }
        }

        private Logits prefill() {
            int[][] prompts = new int[rows.size()][];
            int steps = 0;
            int padded = 0;
            for (Sequence row : rows) {
                prompts[row.row()] = row.prompt();
                padded = Math.max(padded, row.promptLength());
                steps = Math.max(steps, row.remaining());
            }
            // every row advances once per step, so the cache holds the padded prompt plus the most
            // steps any row may take (the last token is never fed back)
            cache = lm.newCache(rows.size(), padded + steps);
            return lm.forward(TokenBatch.leftPadded(prompts, padId), cache, LogitsMode.LAST);
        }

        private Logits forwardStep() {
            int[][] next = new int[rows.size()][1];
            int[][] mask = new int[rows.size()][1];
            for (Sequence row : rows) {
                // A finished row still takes part in the batch, fed as padding: its positions stop
                // advancing (so they never pass max_position_embeddings) and its logits are ignored.
                boolean running = !row.isFinished();
                next[row.row()][0] = running ? row.lastToken() : padId;
                mask[row.row()][0] = running ? 1 : 0;
            }
            return lm.forward(TokenBatch.of(next, mask), cache, LogitsMode.LAST);
        }

        @Override
        public long prefillNanos() {
            return prefillNanos;
        }

        @Override
        public DecodingMetrics metrics() {
            return DecodingMetrics.plain(Math.max(0, steps - 1), forwardNanos);
        }

        @Override
        public void close() {
            if (cache != null) {
                cache.close();
                cache = null;
            }
        }
    }
}
