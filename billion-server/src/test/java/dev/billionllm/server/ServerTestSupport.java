package dev.billionllm.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.Model;
import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.UnaryOperator;

/** A bundled small model behind a server on a free loopback port, and a plain HTTP client for it. */
final class ServerTestSupport {
    static final String MODEL_ID = "tiny";
    static final String API_KEY = "test-key-123";

    private ServerTestSupport() {}

    static Model loadTiny() {
        return Model.load(Fixtures.dir("tiny-tinyllama"));
    }

    /** A server on 127.0.0.1, a free port, key {@link #API_KEY}; {@code log} collects its lines. */
    static BillionServer start(Model model, Queue<String> log, UnaryOperator<BillionServer.Builder> tweak) {
        return tweak.apply(BillionServer.builder()
                        .addModel(MODEL_ID, model)
                        .optPort(0)
                        .optApiKey(API_KEY)
                        .optLog(log::add))
                .build();
    }

    static BillionServer start(Model model) {
        return start(model, new ConcurrentLinkedQueue<>(), b -> b);
    }

    /** What greedy generation gives this conversation without a server. */
    static GenerationResult greedyChat(Model model, String user, int maxTokens) {
        return model.generator().generate(Prompt.chat(List.of(ChatMessage.user(user))), greedy(maxTokens));
    }

    static GenerationResult greedyText(Model model, String prompt, int maxTokens) {
        return model.generator().generate(Prompt.text(prompt), greedy(maxTokens));
    }

    static GenerationConfig greedy(int maxTokens) {
        return GenerationConfig.builder().optMaxNewTokens(maxTokens).optTemperature(0).build();
    }

    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    static HttpResponse<String> post(BillionServer server, String path, String body) {
        return send(HttpRequest.newBuilder(server.uri().resolve(path))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static HttpResponse<String> get(BillionServer server, String path) {
        return send(HttpRequest.newBuilder(server.uri().resolve(path))
                .header("Authorization", "Bearer " + API_KEY).GET());
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    /** {@code choices[0]} of a 200 answer. */
    static JsonObject firstChoice(HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            throw new AssertionError("HTTP " + r.statusCode() + ": " + r.body());
        }
        return json(r).getAsJsonArray("choices").get(0).getAsJsonObject();
    }

    static URI v1(BillionServer server) {
        return server.uri().resolve("/v1");
    }

    /** The value of a metric line such as {@code billion_requests_cancelled_total 1}. */
    static double metric(BillionServer server, String name) {
        for (String line : server.metricsText().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name + " in\n" + server.metricsText());
    }
}
