package dev.billionllm.bench.score;

/**
 * A (context, continuation) request in token ids.
 *
 * @param context ids the model conditions on
 * @param continuation ids whose log-probabilities are summed
 */
public record EncodedPair(int[] context, int[] continuation) {

    public EncodedPair {
        context = context.clone();
        continuation = continuation.clone();
        if (context.length == 0) {
            throw new IllegalArgumentException("the context needs at least one token (use BOS or EOS as the harness does)");
        }
        if (continuation.length == 0) {
            throw new IllegalArgumentException("the continuation has no tokens to score");
        }
    }
}
