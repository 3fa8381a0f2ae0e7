package dev.billionllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.Model;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * 32 streaming clients at once, a few requests each, on the bundled small model: every request
 * completes with exactly the greedy text, none fails. Prints p50/p99 time to first token and the
 * total token rate (numbers to read, not to assert: the machine may be busy).
 */
class LoadTest {
    private static final int CLIENTS = 32;
    private static final int REQUESTS_PER_CLIENT = 3;
    private static final int MAX_TOKENS = 16;
    private static final List<String> PROMPTS = List.of("hello", "the cat", "count: one two", "what is a dog?");

    @Test
    void manyConcurrentStreamingClientsAllGetTheirText() throws Exception {
        try (Model model = ServerTestSupport.loadTiny();
                BillionServer server = ServerTestSupport.start(model, new ConcurrentLinkedQueue<>(),
                        b -> b.optMaxConcurrency(4).optQueueSize(CLIENTS))) {
            List<String> expected = new ArrayList<>();
            for (String p : PROMPTS) {
                expected.add(ServerTestSupport.greedyChat(model, p, MAX_TOKENS).text());
            }
            List<Long> ttftNanos = Collections.synchronizedList(new ArrayList<>());
            long[] tokens = new long[CLIENTS];
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            long start = System.nanoTime();
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                clients.add(pool.submit(() -> {
                    for (int r = 0; r < REQUESTS_PER_CLIENT; r++) {
                        int p = (client + r) % PROMPTS.size();
                        Streamed s = stream(server, PROMPTS.get(p));
                        assertThat(s.text).as("client %d request %d", client, r).isEqualTo(expected.get(p));
                        ttftNanos.add(s.ttftNanos);
                        tokens[client] += s.completionTokens;
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(5, TimeUnit.MINUTES);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            long total = 0;
            for (long t : tokens) {
                total += t;
            }
            List<Long> sorted = new ArrayList<>(ttftNanos);
            Collections.sort(sorted);
            assertThat(sorted).hasSize(CLIENTS * REQUESTS_PER_CLIENT);
            System.out.printf(Locale.ROOT,
                    "[load] %d clients x %d streaming requests: ttft p50 %.1f ms, p99 %.1f ms; %d tokens in %.2f s = "
                            + "%.1f tokens/s%n",
                    CLIENTS, REQUESTS_PER_CLIENT, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
                    total, seconds, total / seconds);
            assertThat(ServerTestSupport.metric(server, "billion_completion_tokens_total")).isEqualTo(total);
            assertThat(ServerTestSupport.metric(server, "billion_time_to_first_token_seconds_count"))
                    .isEqualTo(CLIENTS * REQUESTS_PER_CLIENT);
            assertThat(ServerTestSupport.metric(server, "billion_requests_cancelled_total")).isZero();
        }
    }

    private static double percentile(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private record Streamed(String text, long ttftNanos, long completionTokens) {}

    /** One streaming chat request read as server-sent events. */
    private static Streamed stream(BillionServer server, String user) {
        String body = "{\"model\":\"tiny\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0,"
                + "\"max_tokens\":" + MAX_TOKENS + ",\"messages\":[{\"role\":\"user\",\"content\":"
                + CompletionResponder.GSON.toJson(user) + "}]}";
        long t0 = System.nanoTime();
        HttpResponse<Stream<String>> response;
        try {
            response = ServerTestSupport.HTTP.send(HttpRequest.newBuilder(server.uri().resolve("/v1/chat/completions"))
                    .header("Authorization", "Bearer " + ServerTestSupport.API_KEY)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(response.statusCode()).isEqualTo(200);
        StringBuilder text = new StringBuilder();
        long[] ttft = {-1};
        long[] usage = {-1};
        boolean[] done = {false};
        try (Stream<String> lines = response.body()) {
            lines.filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).forEach(data -> {
                if (data.equals("[DONE]")) {
                    done[0] = true;
                    return;
                }
                JsonObject chunk = JsonParser.parseString(data).getAsJsonObject();
                if (chunk.has("usage") && chunk.get("usage").isJsonObject()) {
                    usage[0] = chunk.getAsJsonObject("usage").get("completion_tokens").getAsLong();
                }
                chunk.getAsJsonArray("choices").forEach(c -> {
                    JsonObject delta = c.getAsJsonObject().getAsJsonObject("delta");
                    if (delta.has("content") && !delta.get("content").getAsString().isEmpty()) {
                        if (ttft[0] < 0) {
                            ttft[0] = System.nanoTime() - t0;
                        }
                        text.append(delta.get("content").getAsString());
                    }
                });
            });
        }
        assertThat(done[0]).as("stream ends with data: [DONE]").isTrue();
        assertThat(usage[0]).isPositive();
        return new Streamed(text.toString(), ttft[0], usage[0]);
    }
}
