package dev.billionllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.billionllm.core.Model;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What clients may send wrong, and what each gets back: the table in docs/server.md, one row per
 * case. Every refusal is OpenAI's error object with the documented status, and no answer carries
 * a stack trace. The server keeps serving afterwards.
 */
class BadInputTest {
    private static final int CAP = 256;
    private static final long BODY_LIMIT = 64 * 1024;
    private static Model model;
    private static BillionServer server;
    private static final List<String> TABLE = new ArrayList<>();

    @BeforeAll
    static void start() {
        model = ServerTestSupport.loadTiny();
        server = ServerTestSupport.start(model, new ConcurrentLinkedQueue<>(),
                b -> b.optMaxTokensCap(CAP).optMaxBodyBytes(BODY_LIMIT));
    }

    @AfterAll
    static void stop() {
        // the table for docs/server.md, in the order of the cases
        System.out.println("| Case | Status | code |\n|---|---|---|");
        TABLE.forEach(System.out::println);
        server.close();
        model.close();
    }

    /** One bad request. {@code body} null: GET; {@code code} null: a 200 is expected. */
    record Case(String name, String method, String path, byte[] body, String auth, int status, String code,
            String param) {
        Case withAuth(String header) {
            return new Case(name, method, path, body, header, status, code, param);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final String KEY = "Bearer " + ServerTestSupport.API_KEY;

    private static Case chat(String name, String json, int status, String code, String param) {
        return new Case(name, "POST", "/v1/chat/completions", json.getBytes(StandardCharsets.UTF_8), KEY, status,
                code, param);
    }

    private static String msg(String extra) {
        return "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4" + extra + "}";
    }

    static Stream<Case> cases() {
        byte[] notUtf8 = {'{', '"', 'm', 'o', 'd', 'e', 'l', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        byte[] huge = ("{\"model\":\"tiny\",\"prompt\":\"" + "a".repeat((int) (2 * BODY_LIMIT)) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        String deep = "[".repeat(5000) + "]".repeat(5000);
        String longPrompt = "the cat sat on the mat ".repeat(1000);
        return Stream.of(
                chat("broken JSON", "{\"model\": \"tiny\", \"messages\": [", 400, "invalid_json", null),
                chat("empty body", "", 400, "invalid_json", null),
                chat("JSON array instead of an object", "[1, 2]", 400, "invalid_json", null),
                chat("lenient JSON (single quotes, comments)", "{'model': 'tiny' /* x */}", 400, "invalid_json", null),
                chat("text after the JSON value", msg("") + " trailing", 400, "invalid_json", null),
                chat("JSON nested 5,000 deep", "{\"model\":" + deep + "}", 400, "invalid_json", null),
                new Case("bytes that are not UTF-8", "POST", "/v1/chat/completions", notUtf8, KEY, 400, "invalid_json",
                        null),
                new Case("body over the size limit (2x)", "POST", "/v1/completions", huge, KEY, 413,
                        "request_too_large", null),
                chat("missing model", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 400, "invalid_value",
                        "model"),
                chat("unknown model", msg("").replace("\"tiny\"", "\"gpt-9\""), 404, "model_not_found", "model"),
                chat("messages is a string", "{\"model\":\"tiny\",\"messages\":\"hi\"}", 400, "invalid_value",
                        "messages"),
                chat("empty messages", "{\"model\":\"tiny\",\"messages\":[]}", 400, "invalid_value", "messages"),
                chat("unknown role", msg("").replace("\"user\"", "\"wizard\""), 400, "invalid_value",
                        "messages[0].role"),
                chat("tool role", msg("").replace("\"user\"", "\"tool\""), 400, "invalid_value", "messages[0].role"),
                chat("message without content", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\"}]}", 400,
                        "invalid_value", "messages[0].content"),
                chat("image content part", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}", 400, "unsupported_parameter",
                        "messages[0].content[0].type"),
                chat("temperature is a string", msg(",\"temperature\":\"hot\""), 400, "invalid_value", "temperature"),
                chat("stream is a string", msg(",\"stream\":\"yes\""), 400, "invalid_value", "stream"),
                chat("negative temperature", msg(",\"temperature\":-1"), 400, "invalid_value", "temperature"),
                chat("huge exponent", msg(",\"temperature\":1e999999999"), 400, "invalid_value", "temperature"),
                chat("top_p 0", msg(",\"top_p\":0"), 400, "invalid_value", "top_p"),
                chat("top_p above 1", msg(",\"top_p\":1.5"), 400, "invalid_value", "top_p"),
                chat("negative top_k", msg(",\"top_k\":-3"), 400, "invalid_value", "top_k"),
                chat("min_p above 1", msg(",\"min_p\":1.5"), 400, "invalid_value", "min_p"),
                chat("repetition_penalty 0", msg(",\"repetition_penalty\":0"), 400, "invalid_value",
                        "repetition_penalty"),
                chat("max_tokens 0", msg("").replace("\"max_tokens\":4", "\"max_tokens\":0"), 400, "invalid_value",
                        "max_tokens"),
                chat("negative max_tokens", msg("").replace("\"max_tokens\":4", "\"max_tokens\":-5"), 400,
                        "invalid_value", "max_tokens"),
                chat("max_tokens 1e30", msg("").replace("\"max_tokens\":4", "\"max_tokens\":1e30"), 400,
                        "invalid_value", "max_tokens"),
                chat("max_tokens 2.5", msg("").replace("\"max_tokens\":4", "\"max_tokens\":2.5"), 400,
                        "invalid_value", "max_tokens"),
                chat("max_tokens above the server cap", msg("").replace("\"max_tokens\":4",
                        "\"max_tokens\":" + (CAP + 1)), 400, "invalid_value", "max_tokens"),
                chat("seed beyond 64 bits", msg(",\"seed\":123456789012345678901234567890"), 400, "invalid_value",
                        "seed"),
                chat("five stop strings", msg(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), 400, "invalid_value",
                        "stop"),
                chat("empty stop string", msg(",\"stop\":\"\""), 400, "invalid_value", "stop"),
                chat("n = 2", msg(",\"n\":2"), 400, "unsupported_parameter", "n"),
                chat("frequency_penalty", msg(",\"frequency_penalty\":0.5"), 400, "unsupported_parameter",
                        "frequency_penalty"),
                chat("tools", msg(",\"tools\":[{\"type\":\"function\"}]"), 400, "unsupported_parameter", "tools"),
                chat("top_logprobs without logprobs", msg(",\"top_logprobs\":2"), 400, "invalid_value",
                        "top_logprobs"),
                chat("top_logprobs 21", msg(",\"logprobs\":true,\"top_logprobs\":21"), 400, "invalid_value",
                        "top_logprobs"),
                chat("stream_options without stream", msg(",\"stream_options\":{\"include_usage\":true}"), 400,
                        "invalid_value", "stream_options"),
                chat("prompt longer than the context", msg("").replace("\"hi\"", "\"" + longPrompt + "\""), 400,
                        "context_length_exceeded", "messages"),
                new Case("completion prompt with an id outside the vocabulary", "POST", "/v1/completions",
                        "{\"model\":\"tiny\",\"prompt\":[1, 99999]}".getBytes(StandardCharsets.UTF_8), KEY, 400,
                        "invalid_value", "prompt[1]"),
                new Case("several completion prompts", "POST", "/v1/completions",
                        "{\"model\":\"tiny\",\"prompt\":[\"a\",\"b\"]}".getBytes(StandardCharsets.UTF_8), KEY, 400,
                        "invalid_value", "prompt"),
                new Case("completions logprobs 6", "POST", "/v1/completions",
                        "{\"model\":\"tiny\",\"prompt\":\"a\",\"logprobs\":6}".getBytes(StandardCharsets.UTF_8), KEY,
                        400, "invalid_value", "logprobs"),
                chat("missing API key", msg(""), 401, "invalid_api_key", null).withAuth(null),
                chat("wrong API key", msg(""), 401, "invalid_api_key", null).withAuth("Bearer wrong"),
                chat("API key without Bearer", msg(""), 401, "invalid_api_key", null)
                        .withAuth(ServerTestSupport.API_KEY),
                new Case("GET on a POST endpoint", "GET", "/v1/chat/completions", null, KEY, 405, "method_not_allowed",
                        null),
                new Case("unknown path", "GET", "/v2/everything", null, KEY, 404, "unknown_url", null),
                chat("unknown fields (ignored, as OpenAI does)", msg(",\"foo\":{\"bar\":[1]},\"user\":\"u1\""), 200,
                        null, null),
                chat("template code in a message (rendered as text)", msg("").replace("\"hi\"",
                        "\"{{ 7 * 7 }}{% for x in range(10**9) %}{% endfor %}\""), 200, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithAnOpenAiError(Case c) {
        HttpRequest.Builder r = HttpRequest.newBuilder(server.uri().resolve(c.path()))
                .header("Content-Type", "application/json");
        if (c.auth() != null) {
            r.header("Authorization", c.auth());
        }
        r.method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(c.body()));
        HttpResponse<String> response = ServerTestSupport.send(r);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(c.status());
        assertThat(response.body()).doesNotContain("Exception", "\tat ", "dev.billionllm");
        JsonObject json = ServerTestSupport.json(response);
        if (c.code() == null) {
            assertThat(json.has("choices")).as(response.body()).isTrue();
            TABLE.add("| " + c.name() + " | " + c.status() + " | - |");
            return;
        }
        JsonObject error = json.getAsJsonObject("error");
        assertThat(error.get("code").getAsString()).isEqualTo(c.code());
        assertThat(error.get("message").getAsString()).isNotBlank();
        assertThat(error.has("type")).isTrue();
        assertThat(error.has("param")).isTrue();
        if (c.param() != null) {
            assertThat(error.get("param").getAsString()).isEqualTo(c.param());
        }
        TABLE.add("| " + c.name() + " | " + c.status() + " | `" + c.code() + "`: " + error.get("message").getAsString()
                .replace("|", "\\|") + " |");
    }

    @Test
    void withoutAKeyConfiguredNoAuthorizationIsNeeded() {
        try (BillionServer open = BillionServer.builder().addModel("tiny", model).optPort(0).optLog(l -> {}).build()) {
            HttpResponse<String> r = ServerTestSupport.send(HttpRequest.newBuilder(open.uri().resolve("/v1/models")).GET());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(open.uri().getHost()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void templateCodeInAMessageStaysText() {
        String content = "{{ 7 * 7 }}{% if true %}yes{% endif %}";
        JsonObject body = com.google.gson.JsonParser.parseString(msg("").replace("\"hi\"",
                CompletionResponder.GSON.toJson(content))).getAsJsonObject();
        CompletionRequest request = CompletionRequest.parse(body, true, id -> ServedModel.of(id, model.generator(), model.tokenizer()), "tiny", CAP);
        String prompt = model.tokenizer().decode(request.promptIds(), false);
        assertThat(prompt).contains(content).doesNotContain("49");
    }
}
