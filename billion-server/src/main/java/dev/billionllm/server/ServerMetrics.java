package dev.billionllm.server;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters in the Prometheus text format ({@code GET /metrics}). Thread-safe; every
 * update is a lock-free add except the tokens-per-second window, which is tiny.
 */
final class ServerMetrics {
    /** Upper bounds (seconds) of the time-to-first-token histogram buckets. */
    private static final double[] TTFT_BUCKETS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    /** Seconds over which {@code billion_completion_tokens_per_second} averages. */
    static final int RATE_WINDOW_SECONDS = 10;

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder[] ttftBuckets = new LongAdder[TTFT_BUCKETS.length + 1];
    private final LongAdder ttftCount = new LongAdder();
    private double ttftSumSeconds; // guarded by this
    private final long[] windowSecond = new long[RATE_WINDOW_SECONDS];
    private final long[] windowTokens = new long[RATE_WINDOW_SECONDS];

    ServerMetrics() {
        for (int i = 0; i < ttftBuckets.length; i++) {
            ttftBuckets[i] = new LongAdder();
        }
    }

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    void promptTokens(int n) {
        promptTokens.add(n);
    }

    /** One generated token, at {@code nowMillis}. */
    void completionToken(long nowMillis) {
        completionTokens.increment();
        long second = nowMillis / 1000;
        int slot = (int) (second % RATE_WINDOW_SECONDS);
        synchronized (windowTokens) {
            if (windowSecond[slot] != second) {
                windowSecond[slot] = second;
                windowTokens[slot] = 0;
            }
            windowTokens[slot]++;
        }
    }

    void cancelled() {
        cancelled.increment();
    }

    void timeToFirstToken(double seconds) {
        int b = 0;
        while (b < TTFT_BUCKETS.length && seconds > TTFT_BUCKETS[b]) {
            b++;
        }
        ttftBuckets[b].increment();
        ttftCount.increment();
        synchronized (this) {
            ttftSumSeconds += seconds;
        }
    }

    /** Completion tokens per second over the last {@value #RATE_WINDOW_SECONDS} whole seconds. */
    double tokensPerSecond(long nowMillis) {
        long now = nowMillis / 1000;
        long sum = 0;
        synchronized (windowTokens) {
            for (int i = 0; i < RATE_WINDOW_SECONDS; i++) {
                if (windowSecond[i] > now - RATE_WINDOW_SECONDS && windowSecond[i] <= now) {
                    sum += windowTokens[i];
                }
            }
        }
        return sum / (double) RATE_WINDOW_SECONDS;
    }

    /** The Prometheus exposition text. */
    String render(int running, int queued, int batchRows, long batchPositions, long nowMillis) {
        StringBuilder s = new StringBuilder();
        header(s, "billion_requests_total", "counter", "HTTP requests by endpoint and status code.");
        Map<String, LongAdder> sorted = new TreeMap<>(requests);
        sorted.forEach((k, v) -> {
            String[] parts = k.split("\u0000", 2);
            s.append("billion_requests_total{endpoint=\"").append(parts[0]).append("\",code=\"").append(parts[1])
                    .append("\"} ").append(v.sum()).append('\n');
        });
        gauge(s, "billion_requests_running", "Generations running now.", running);
        gauge(s, "billion_queue_depth", "Requests waiting for a generation slot.", queued);
        gauge(s, "billion_batch_size", "Requests in the running decode batches (continuous batching), all models.",
                batchRows);
        gauge(s, "billion_batch_kv_positions",
                "Positions the running batches' KV caches hold (rows x length, padding included); 0 when empty.",
                batchPositions);
        counter(s, "billion_prompt_tokens_total", "Prompt tokens of admitted requests.", promptTokens.sum());
        counter(s, "billion_completion_tokens_total", "Generated tokens.", completionTokens.sum());
        counter(s, "billion_requests_cancelled_total",
                "Generations stopped early because the client went away or the server stopped.", cancelled.sum());
        header(s, "billion_completion_tokens_per_second", "gauge",
                "Generated tokens per second, averaged over the last " + RATE_WINDOW_SECONDS + " s.");
        s.append("billion_completion_tokens_per_second ").append(format(tokensPerSecond(nowMillis))).append('\n');
        header(s, "billion_time_to_first_token_seconds", "histogram",
                "From the request's arrival to its first generated token (queueing included).");
        long cumulative = 0;
        for (int b = 0; b <= TTFT_BUCKETS.length; b++) {
            cumulative += ttftBuckets[b].sum();
            String le = b < TTFT_BUCKETS.length ? format(TTFT_BUCKETS[b]) : "+Inf";
            s.append("billion_time_to_first_token_seconds_bucket{le=\"").append(le).append("\"} ")
                    .append(cumulative).append('\n');
        }
        double sum;
        synchronized (this) {
            sum = ttftSumSeconds;
        }
        s.append("billion_time_to_first_token_seconds_sum ").append(format(sum)).append('\n');
        s.append("billion_time_to_first_token_seconds_count ").append(ttftCount.sum()).append('\n');
        return s.toString();
    }

    private static void gauge(StringBuilder s, String name, String help, long value) {
        header(s, name, "gauge", help);
        s.append(name).append(' ').append(value).append('\n');
    }

    private static void counter(StringBuilder s, String name, String help, long value) {
        header(s, name, "counter", help);
        s.append(name).append(' ').append(value).append('\n');
    }

    private static void header(StringBuilder s, String name, String type, String help) {
        s.append("# HELP ").append(name).append(' ').append(help).append('\n');
        s.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
