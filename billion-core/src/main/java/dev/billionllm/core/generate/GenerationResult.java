package dev.billionllm.core.generate;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one prompt produced.
 *
 * @param tokenIds the generated ids, in order; includes the eos id when the reason is EOS and the
 *     token that completed a stop string when the reason is STOP_STRING
 * @param text the decoded text of the generated ids, cut right before a stop string; equal to the
 *     concatenated streaming deltas
 * @param finishReason why generation ended
 * @param promptTokenCount tokens in the prompt (without padding)
 * @param timings how long it took
 * @param metrics what the decoding strategy did (rounds, drafted and accepted tokens, time in the
 *     draft and the target)
 */
public record GenerationResult(List<Integer> tokenIds, String text, FinishReason finishReason, int promptTokenCount,
        Timings timings, DecodingMetrics metrics) {

    public GenerationResult {
        tokenIds = List.copyOf(tokenIds);
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(timings, "timings");
        Objects.requireNonNull(metrics, "metrics");
    }

    /** A result with no strategy metrics (plain decoding's shape before strategies reported any). */
    public GenerationResult(List<Integer> tokenIds, String text, FinishReason finishReason, int promptTokenCount,
            Timings timings) {
        this(tokenIds, text, finishReason, promptTokenCount, timings, DecodingMetrics.none("plain"));
    }

    /** The generated ids as an array. */
    public int[] tokenIdArray() {
        return tokenIds.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Wall-clock timings of one generation. In a batch, the prompts share each forward pass, so
     * each row reports the batch's prefill and its own decode span.
     *
     * @param timeToFirstToken from the start of the call to the first token picked (tokenizing,
     *     prefill, sampling); zero when nothing was generated
     * @param prefill the prompt's forward pass
     * @param decode from the first token to the last one
     * @param prefillTokensPerSecond prompt tokens / prefill seconds
     * @param decodeTokensPerSecond tokens after the first / decode seconds (0 with fewer than two tokens)
     */
    public record Timings(Duration timeToFirstToken, Duration prefill, Duration decode,
            double prefillTokensPerSecond, double decodeTokensPerSecond) {

        public Timings {
            Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
            Objects.requireNonNull(prefill, "prefill");
            Objects.requireNonNull(decode, "decode");
        }

        static Timings of(long ttftNanos, long prefillNanos, int promptTokens, long decodeNanos, int tokens) {
            double prefillRate = prefillNanos > 0 ? promptTokens * 1e9 / prefillNanos : 0;
            double decodeRate = tokens > 1 && decodeNanos > 0 ? (tokens - 1) * 1e9 / decodeNanos : 0;
            return new Timings(Duration.ofNanos(ttftNanos), Duration.ofNanos(prefillNanos),
                    Duration.ofNanos(decodeNanos), prefillRate, decodeRate);
        }
    }
}
