package dev.billionllm.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
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
        String expected = generatedText("generate", "-m", "tiny-tinyllama");
        try (Serving s = Serving.start("serve", "-m", "tiny-tinyllama", "--port", "0", "--api-key", "k")) {
            assertThat(s.chat("tiny-tinyllama", "hello", "k")).isEqualTo(expected);
            s.close();
            assertThat(s.err()).contains("POST /v1/chat/completions 200").contains("[serve] stopped");
        }
    }

    @Test
    void adapterChangesTheServedOutputExactlyAsGenerateAdapterDoes() throws Exception {
        String adapter = Fixtures.dir("tiny-tinyllama-lora-peft").toString();
        String plain = generatedText("generate", "-m", "tiny-tinyllama");
        String adapted = generatedText("generate", "-m", "tiny-tinyllama", "--adapter", adapter);
        assertThat(adapted).as("the adapter changes greedy output").isNotEqualTo(plain);
        try (Serving s = Serving.start("serve", "-m", "tiny-tinyllama", "--adapter", adapter, "--port", "0")) {
            assertThat(s.chat("tiny-tinyllama", "hello")).isEqualTo(adapted);
            assertThat(s.err()).contains("fp32 PyTorch: LoRA adapters").contains("on pytorch");
        }
    }

    @Test
    void draftKeepsGreedyOutputAndModelOptionsApplyToEveryModel() throws Exception {
        String expected = generatedText("generate", "-m", "tiny-tinyllama");
        String expectedLlama32 = generatedText("generate", "-m", "tiny-llama32", "--precision", "int8");
        // --draft and --backend-option apply to both -m; the draft shares tiny-tinyllama's tokenizer.
        try (Serving s = Serving.start("serve", "-m", "tiny-tinyllama", "--draft", "tiny-tinyllama-draft",
                "--backend-option", "spinning=false", "--port", "0")) {
            assertThat(s.chat("tiny-tinyllama", "hello")).isEqualTo(expected);
            assertThat(s.err()).contains("draft-model decoding").contains("on onnxruntime");
        }
        try (Serving s = Serving.start("serve", "-m", "tiny-tinyllama", "-m", "tiny-llama32", "--precision", "fp32",
                "--port", "0")) {
            assertThat(s.err()).contains("as 'tiny-tinyllama' on pytorch").contains("as 'tiny-llama32' on pytorch");
            assertThat(s.chat("tiny-tinyllama", "hello")).isEqualTo(generatedText("generate", "-m", "tiny-tinyllama",
                    "--precision", "fp32"));
        }
        try (Serving s = Serving.start("serve", "-m", "tiny-llama32", "--precision", "int8", "--port", "0")) {
            assertThat(s.chat("tiny-llama32", "hello")).isEqualTo(expectedLlama32);
        }
    }

    /** {@code billion <args> --chat -p hello --greedy -n 24 --json}'s text. */
    private static String generatedText(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--chat", "-p", "hello", "--greedy", "-n", "24", "--json"));
        BillionCliTest.Run r = BillionCliTest.run("", all.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return JsonParser.parseString(r.out()).getAsJsonObject().get("text").getAsString();
    }

    /** {@code billion serve} running on a thread until closed; requests go over HTTP. */
    private record Serving(URI base, StringBuffer log, Thread thread, CompletableFuture<Integer> exit)
            implements AutoCloseable {
        static Serving start(String... args) throws InterruptedException {
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
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread t = new Thread(() -> exit.complete(BillionCli.run(new ByteArrayInputStream(new byte[0]),
                    new PrintWriter(new StringWriter()), new PrintWriter(errSink, true), args)), "serve-under-test");
            t.start();
            return new Serving(awaitListening(err, exit), err, t, exit);
        }

        String err() {
            return log.toString();
        }

        /** The greedy answer of {@code model} to one user message, at most 24 tokens. */
        String chat(String model, String content) throws Exception {
            return chat(model, content, null);
        }

        String chat(String model, String content, String apiKey) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/v1/chat/completions"));
            if (apiKey != null) {
                request.header("Authorization", "Bearer " + apiKey);
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(request
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"temperature\":0,"
                            + "\"max_tokens\":24,\"messages\":[{\"role\":\"user\",\"content\":\"" + content
                            + "\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
                    .getAsJsonObject().getAsJsonObject("message").get("content").getAsString();
        }

        /** Stops the server (as SIGTERM would) and checks that it exited cleanly; may be called twice. */
        @Override
        public void close() throws Exception {
            thread.interrupt();
            assertThat(exit.get(60, TimeUnit.SECONDS)).as(err()).isZero();
        }
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
