package dev.billionllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LogprobScorerTest {

    /** The k largest logits, picked one at a time (first id among equals): what topIds must give. */
    private static int[] pickedOneByOne(float[] logits, int k, int vocab) {
        int[] out = new int[k];
        boolean[] taken = new boolean[vocab];
        for (int n = 0; n < k; n++) {
            int best = -1;
            for (int i = 0; i < vocab; i++) {
                if (!taken[i] && (best < 0 || logits[i] > logits[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            out[n] = best;
        }
        return out;
    }

    @Test
    void topIdsAreTheLargestLargestFirstTiesByLowerId() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int vocab = 1 + random.nextInt(60);
            float[] logits = new float[vocab + 3]; // padded ids past vocab are never picked
            for (int i = 0; i < logits.length; i++) {
                // few distinct values, so that ties are common
                logits[i] = i >= vocab ? 100f : random.nextInt(6) - 2.5f;
                if (i < vocab && random.nextInt(10) == 0) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
            for (int k = 0; k <= Math.min(vocab, 21); k++) {
                assertThat(LogprobScorer.topIds(logits, k, vocab)).as("vocab %d, k %d", vocab, k)
                        .containsExactly(pickedOneByOne(logits, k, vocab));
            }
        }
    }
}
