package dev.billionllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.testing.Fixtures;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server on the ONNX Runtime backend: concurrent requests get what the generator gives alone. */
class OnnxServeTest {

    @Test
    void concurrentGreedyChatsOnTheOnnxExportMatchTheGenerator() throws Exception {
        try (Model model = Model.load(Fixtures.dir("tiny-tinyllama-onnx"),
                LoadOptions.builder().optBackend("onnxruntime").build());
                BillionServer server = ServerTestSupport.start(model)) {
            List<String> prompts = List.of("hello", "the cat", "what is a dog?", "count: one two");
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (String p : prompts) {
                answers.add(CompletableFuture.supplyAsync(() -> ServerTestSupport.post(server, "/v1/chat/completions",
                        "{\"model\":\"tiny\",\"temperature\":0,\"max_tokens\":12,\"messages\":[{\"role\":\"user\","
                                + "\"content\":" + CompletionResponder.GSON.toJson(p) + "}]}")));
            }
            for (int i = 0; i < prompts.size(); i++) {
                HttpResponse<String> r = answers.get(i).get(120, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonObject choice = ServerTestSupport.firstChoice(r);
                GenerationResult expected = ServerTestSupport.greedyChat(model, prompts.get(i), 12);
                assertThat(choice.getAsJsonObject("message").get("content").getAsString()).isEqualTo(expected.text());
            }
        }
    }
}
