package dev.billionllm.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code billion serve} end to end: the greedy answer through HTTP equals {@code billion generate}'s. */
class ServeCommandTest {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    @Test
    void greedyChatThroughTheServerEqualsBillionGenerate() throws Exception {
        BillionCliTest.Run generated = BillionCliTest.run("", "generate", "-m", "tiny-tinyllama", "--chat",
                "-p", "hello", "--greedy", "-n", "24", "--json");
        assertThat(generated.code()).as(generated.err()).isZero();
        String expected = JsonParser.parseString(generated.out()).getAsJsonObject().get("text").getAsString();

        StringBuffer err = new StringBuffer();
        Writer errSink = new Writer() {
            @Override
            public void write(char[] c, int off, int len) {
                err.append(c, off, len);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        CompletableFuture<Integer> serve = new CompletableFuture<>();
        Thread server = new Thread(() -> serve.complete(BillionCli.run(new ByteArrayInputStream(new byte[0]),
                new PrintWriter(new StringWriter()), new PrintWriter(errSink, true),
                "serve", "-m", "tiny-tinyllama", "--port", "0", "--api-key", "k")), "serve-under-test");
        server.start();
        try {
            URI base = awaitListening(err, serve);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            base.resolve("/v1/chat/completions"))
                    .header("Authorization", "Bearer k")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny-tinyllama\",\"temperature\":0,"
                            + "\"max_tokens\":24,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonObject message = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
                    .getAsJsonObject().getAsJsonObject("message");
            assertThat(message.get("content").getAsString()).isEqualTo(expected);
        } finally {
            server.interrupt();
        }
        assertThat(serve.get(60, TimeUnit.SECONDS)).as(err.toString()).isZero();
        assertThat(err.toString()).contains("POST /v1/chat/completions 200").contains("[serve] stopped");
    }

    private static URI awaitListening(StringBuffer err, CompletableFuture<Integer> serve) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && !serve.isDone()) {
            Matcher m = LISTENING.matcher(err);
            if (m.find()) {
                return URI.create(m.group(1));
            }
            Thread.sleep(20);
        }
        throw new AssertionError("billion serve did not start: " + err);
    }

    @Test
    void helpListsTheServerOptions() {
        BillionCliTest.Run r = BillionCliTest.run("", "serve", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--max-concurrency", "--queue", "--max-tokens-cap", "--api-key", "--host");
        assertThat(r.out()).contains("--max-batch", "--no-batching");
    }

    @Test
    void aMaxBatchBelowOneIsRefusedBeforeAnythingLoads() {
        BillionCliTest.Run r = BillionCliTest.run("", "serve", "-m", "tiny-tinyllama", "--port", "0", "--max-batch", "0");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("max batch must be >= 1, got 0");
    }

    @Test
    void modelIdIsWhatWasTypedOrTheFolderName() {
        assertThat(ServeCommand.modelId("tinyllama")).isEqualTo("tinyllama");
        assertThat(ServeCommand.modelId("/models/tiny-tinyllama")).isEqualTo("tiny-tinyllama");
        assertThat(ServeCommand.modelId("./tiny/")).isEqualTo("tiny");
    }
}
