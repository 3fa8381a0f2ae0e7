package dev.billionllm.core.generate;

/**
 * Proposes the tokens a target model will probably produce next, cheaply: a small draft model, an
 * n-gram lookup in the text so far, a quantized copy of the target. A {@link DraftVerifier} checks
 * the proposals against the target in one forward pass and keeps what the target agrees with.
 *
 * <pre>{@code
 * // prompt lookup in three lines: propose what followed the last token the previous time it appeared
 * DraftProposer echo = (context, max) -> {
 *     int last = context[context.length - 1];
 *     for (int i = context.length - 2; i >= 0; i--) {
 *         if (context[i] == last) {
 *             return Draft.of(Arrays.copyOfRange(context, i + 1, Math.min(context.length, i + 1 + max)));
 *         }
 *     }
 *     return Draft.of();
 * };
 * }</pre>
 *
 * <p>One proposer serves one generation (it may keep a KV cache of the ids it has seen); not
 * thread-safe.
 */
@FunctionalInterface
public interface DraftProposer extends AutoCloseable {

    /**
     * Candidates for the tokens after {@code context}.
     *
     * @param context the target's ids so far, prompt and generated; it extends the previous call's
     *     context by the accepted tokens and the target's own token, which a proposer with a cache
     *     uses to keep what is still valid and roll back the rest
     * @param maxTokens most candidates wanted (at least 1)
     * @return up to {@code maxTokens} candidates, none when there is no good guess
     */
    Draft propose(int[] context, int maxTokens);

    /**
     * Told after each verification how many of {@code draft}'s tokens the target accepted (adaptive
     * draft lengths learn from it). Default: nothing.
     */
    default void onVerified(Draft draft, int accepted) {}

    /** Frees what the proposer holds (a draft model's cache). Does not throw. Default: nothing. */
    @Override
    default void close() {}
}
