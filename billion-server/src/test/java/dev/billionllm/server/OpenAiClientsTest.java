package dev.billionllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.billionllm.core.Model;
import dev.billionllm.core.generate.GenerationResult;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server driven by the clients applications use: the official openai-java SDK and
 * LangChain4j's OpenAI module. Greedy output through the server must equal the generator's.
 */
class OpenAiClientsTest {
    private static final String USER = "hello";
    private static final int MAX_TOKENS = 24;

    private static Model model;
    private static BillionServer server;
    private static OpenAIClient openai;
    private static GenerationResult expectedChat;

    @BeforeAll
    static void start() {
        model = ServerTestSupport.loadTiny();
        server = ServerTestSupport.start(model);
        openai = OpenAIOkHttpClient.builder()
                .baseUrl(ServerTestSupport.v1(server).toString())
                .apiKey(ServerTestSupport.API_KEY)
                .maxRetries(0)
                .build();
        expectedChat = ServerTestSupport.greedyChat(model, USER, MAX_TOKENS);
        assertThat(expectedChat.text()).isNotEmpty();
    }

    @AfterAll
    static void stop() {
        if (openai != null) {
            openai.close();
        }
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static ChatCompletionCreateParams.Builder chatParams() {
        return ChatCompletionCreateParams.builder()
                .model(ServerTestSupport.MODEL_ID)
                .addUserMessage(USER)
                .maxCompletionTokens(MAX_TOKENS)
                .temperature(0.0);
    }

    @Test
    void openAiChatCompletion() {
        ChatCompletion c = openai.chat().completions().create(chatParams().build());
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().get(0).message().content()).contains(expectedChat.text());
        assertThat(c.choices().get(0).finishReason().asString())
                .isEqualTo(CompletionResponder.finishReason(expectedChat.finishReason()));
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(expectedChat.promptTokenCount());
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(expectedChat.tokenIds().size());
        assertThat(c.model()).isEqualTo(ServerTestSupport.MODEL_ID);
        c.validate();
    }

    @Test
    void openAiStreamingChatWithUsage() {
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        String[] finish = {null};
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                chatParams().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunk.validate();
                chunk.choices().forEach(choice -> {
                    choice.delta().content().ifPresent(text::append);
                    choice.finishReason().ifPresent(f -> finish[0] = f.asString());
                });
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        assertThat(text.toString()).isEqualTo(expectedChat.text());
        assertThat(finish[0]).isEqualTo(CompletionResponder.finishReason(expectedChat.finishReason()));
        assertThat(usage[0]).isEqualTo(expectedChat.tokenIds().size());
    }

    @Test
    void openAiCompletion() {
        GenerationResult expected = ServerTestSupport.greedyText(model, "the cat sat", MAX_TOKENS);
        Completion c = openai.completions().create(CompletionCreateParams.builder()
                .model(ServerTestSupport.MODEL_ID)
                .prompt("the cat sat")
                .maxTokens(MAX_TOKENS)
                .temperature(0.0)
                .build());
        c.validate();
        assertThat(c.choices().get(0).text()).isEqualTo(expected.text());
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(expected.tokenIds().size());
    }

    @Test
    void openAiModelsList() {
        List<String> ids = openai.models().list().data().stream().map(m -> m.id()).collect(Collectors.toList());
        assertThat(ids).containsExactly(ServerTestSupport.MODEL_ID);
    }

    @Test
    void langChain4jChatModel() {
        OpenAiChatModel chat = OpenAiChatModel.builder()
                .baseUrl(ServerTestSupport.v1(server).toString())
                .apiKey(ServerTestSupport.API_KEY)
                .modelName(ServerTestSupport.MODEL_ID)
                .temperature(0.0)
                .maxTokens(MAX_TOKENS)
                .maxRetries(0)
                .build();
        assertThat(chat.chat(USER)).isEqualTo(expectedChat.text());
    }

    @Test
    void langChain4jStreamingChatModel() throws Exception {
        OpenAiStreamingChatModel chat = OpenAiStreamingChatModel.builder()
                .baseUrl(ServerTestSupport.v1(server).toString())
                .apiKey(ServerTestSupport.API_KEY)
                .modelName(ServerTestSupport.MODEL_ID)
                .temperature(0.0)
                .maxTokens(MAX_TOKENS)
                .build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        chat.chat(USER, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertThat(partial.toString()).isEqualTo(expectedChat.text());
        assertThat(response.aiMessage().text()).isEqualTo(expectedChat.text());
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(expectedChat.tokenIds().size());
    }

    @Test
    void chatLogprobsReportTheGreedyTokenAsTheMostLikely() {
        HttpResponse<String> r = ServerTestSupport.post(server, "/v1/chat/completions",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":8,"
                        + "\"temperature\":0,\"logprobs\":true,\"top_logprobs\":3}");
        JsonArray content = ServerTestSupport.firstChoice(r).getAsJsonObject("logprobs").getAsJsonArray("content");
        GenerationResult expected = ServerTestSupport.greedyChat(model, USER, 8);
        assertThat(content).hasSize(expected.tokenIds().size());
        for (int i = 0; i < content.size(); i++) {
            JsonObject token = content.get(i).getAsJsonObject();
            JsonArray top = token.getAsJsonArray("top_logprobs");
            assertThat(top).hasSize(3);
            // greedy picks the most likely token, so it heads the alternatives with the same logprob
            assertThat(top.get(0).getAsJsonObject().get("logprob").getAsDouble())
                    .isEqualTo(token.get("logprob").getAsDouble());
            assertThat(token.get("token").getAsString())
                    .isEqualTo(model.tokenizer().decode(new int[] {expected.tokenIds().get(i)}, false));
            assertThat(token.get("logprob").getAsDouble()).isLessThanOrEqualTo(0);
        }
    }

    @Test
    void streamedLogprobsComeWithTheirTokens() {
        HttpResponse<String> r = ServerTestSupport.post(server, "/v1/chat/completions",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":6,"
                        + "\"temperature\":0,\"logprobs\":true,\"stream\":true,\"ignore_eos\":true}");
        assertThat(r.statusCode()).isEqualTo(200);
        int entries = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonObject choice = com.google.gson.JsonParser.parseString(line.substring(6)).getAsJsonObject()
                        .getAsJsonArray("choices").get(0).getAsJsonObject();
                if (choice.get("logprobs").isJsonObject()) {
                    entries += choice.getAsJsonObject("logprobs").getAsJsonArray("content").size();
                }
            }
        }
        assertThat(entries).isEqualTo(6);
    }

    @Test
    void completionLogprobsHaveOneEntryPerToken() {
        HttpResponse<String> r = ServerTestSupport.post(server, "/v1/completions",
                "{\"model\":\"tiny\",\"prompt\":\"the cat\",\"max_tokens\":5,\"temperature\":0,\"logprobs\":2,"
                        + "\"ignore_eos\":true}");
        JsonObject lp = ServerTestSupport.firstChoice(r).getAsJsonObject("logprobs");
        assertThat(lp.getAsJsonArray("tokens")).hasSize(5);
        assertThat(lp.getAsJsonArray("token_logprobs")).hasSize(5);
        assertThat(lp.getAsJsonArray("top_logprobs").get(0).getAsJsonObject().size()).isBetween(1, 2);
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        String full = expectedChat.text();
        String stop = full.substring(Math.min(3, full.length() - 1), Math.min(5, full.length()));
        HttpResponse<String> r = ServerTestSupport.post(server, "/v1/chat/completions",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":24,"
                        + "\"temperature\":0,\"stop\":[" + CompletionResponder.GSON.toJson(stop) + "]}");
        JsonObject choice = ServerTestSupport.firstChoice(r);
        assertThat(choice.get("finish_reason").getAsString()).isEqualTo("stop");
        assertThat(choice.getAsJsonObject("message").get("content").getAsString())
                .isEqualTo(full.substring(0, full.indexOf(stop)));
    }

    @Test
    void seededSamplingIsRepeatable() {
        String body = "{\"model\":\"tiny\",\"prompt\":\"the\",\"max_tokens\":16,\"temperature\":1.0,\"top_p\":0.9,"
                + "\"top_k\":20,\"min_p\":0.01,\"repetition_penalty\":1.1,\"seed\":7}";
        String a = ServerTestSupport.firstChoice(ServerTestSupport.post(server, "/v1/completions", body))
                .get("text").getAsString();
        String b = ServerTestSupport.firstChoice(ServerTestSupport.post(server, "/v1/completions", body))
                .get("text").getAsString();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void healthAndMetricsAnswer() {
        assertThat(ServerTestSupport.send(java.net.http.HttpRequest.newBuilder(server.uri().resolve("/health")).GET())
                .statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = ServerTestSupport.get(server, "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("billion_requests_total", "billion_queue_depth",
                "billion_completion_tokens_total", "billion_completion_tokens_per_second",
                "billion_time_to_first_token_seconds_bucket");
    }
}
