package dev.billionllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.Model;
import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.Prompt;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Concurrent requests of different lengths and sampling settings, with continuous batching and
 * with {@code optBatching(false)}: each answer is what the library gives that request alone.
 */
class BatchingServeTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = ServerTestSupport.loadTiny();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** One request: its JSON fields and the configuration the server should build from them. */
    private record Ask(String user, String fields, UnaryOperator<GenerationConfig.Builder> config) {}

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void concurrentRequestsEachGetWhatTheyGetAlone(boolean batching) throws Exception {
        List<Ask> asks = List.of(
                new Ask("hello", "\"temperature\":0,\"max_tokens\":14", b -> b.optTemperature(0).optMaxNewTokens(14)),
                new Ask("what is a dog?", "\"temperature\":0,\"max_tokens\":3", b -> b.optTemperature(0)
                        .optMaxNewTokens(3)),
                new Ask("the cat", "\"temperature\":0.8,\"top_k\":20,\"seed\":5,\"max_tokens\":12",
                        b -> b.optTemperature(0.8).optTopK(20).optSeed(5).optMaxNewTokens(12)),
                new Ask("count: one two three four five", "\"temperature\":0,\"max_tokens\":10,\"stop\":\"e\"",
                        b -> b.optTemperature(0).optMaxNewTokens(10).optStopStrings(List.of("e"))),
                new Ask("tell me a story about a very long road", "\"temperature\":1.1,\"seed\":9,\"min_p\":0.05,"
                        + "\"repetition_penalty\":1.3,\"max_tokens\":8", b -> b.optTemperature(1.1).optSeed(9)
                        .optMinP(0.05).optRepetitionPenalty(1.3).optMaxNewTokens(8)));
        try (BillionServer server = ServerTestSupport.start(model, new ConcurrentLinkedQueue<>(),
                b -> b.optMaxConcurrency(4).optBatching(batching))) {
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (Ask a : asks) {
                answers.add(CompletableFuture.supplyAsync(() -> ServerTestSupport.post(server, "/v1/chat/completions",
                        "{\"model\":\"tiny\"," + a.fields + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + a.user
                                + "\"}]}")));
            }
            for (int i = 0; i < asks.size(); i++) {
                Ask a = asks.get(i);
                String content = ServerTestSupport.firstChoice(answers.get(i).get(120, TimeUnit.SECONDS))
                        .getAsJsonObject("message").get("content").getAsString();
                GenerationConfig config = a.config.apply(model.generator().defaultConfig().toBuilder()).build();
                String alone = model.generator().generate(Prompt.chat(List.of(ChatMessage.user(a.user))), config)
                        .text();
                assertThat(content).as("batching %s, request %d", batching, i).isEqualTo(alone);
            }
            assertThat(ServerTestSupport.metric(server, "billion_batch_size")).isZero();
        }
    }

    @org.junit.jupiter.api.Test
    void batchingIsTheDefaultWithSixteenRowsAndMaxBatchIsCappedByConcurrency() {
        ConcurrentLinkedQueue<String> log = new ConcurrentLinkedQueue<>();
        try (BillionServer server = ServerTestSupport.start(model, log, b -> b)) {
            assertThat(log).anyMatch(l -> l.contains("continuous batching, up to "
                    + BillionServer.Builder.DEFAULT_MAX_CONCURRENCY + " requests per step"));
        }
        log.clear();
        try (BillionServer server = ServerTestSupport.start(model, log, b -> b.optMaxConcurrency(3).optMaxBatch(8))) {
            assertThat(log).anyMatch(l -> l.contains("continuous batching, up to 3 requests per step"));
        }
    }
}
