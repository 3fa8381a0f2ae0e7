package dev.billionllm.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.Model;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Overload, a client that walks away mid-stream, and shutdown with generations running. */
class OverloadTest {
    /** Long enough that a generation is still running while the test acts on it. */
    private static final int LONG = 2000;
    private static Model model;

    @BeforeAll
    static void load() {
        model = ServerTestSupport.loadTiny();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static String longStream() {
        return "{\"model\":\"tiny\",\"stream\":true,\"ignore_eos\":true,\"max_tokens\":" + LONG
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    }

    @Test
    void fullQueueAnswers429AndADisconnectedClientStopsItsGeneration() throws Exception {
        Queue<String> log = new ConcurrentLinkedQueue<>();
        try (BillionServer server = ServerTestSupport.start(model, log,
                b -> b.optMaxConcurrency(1).optQueueSize(1).optMaxTokensCap(LONG))) {
            RawStream running = RawStream.open(server, longStream());
            running.awaitFirstEvent();
            await(() -> ServerTestSupport.metric(server, "billion_batch_size") == 1, "the request in the batch");
            assertThat(ServerTestSupport.metric(server, "billion_batch_kv_positions")).isPositive();
            RawStream queued = RawStream.open(server, longStream());
            await(() -> ServerTestSupport.metric(server, "billion_queue_depth") == 1, "a request in the queue");

            HttpResponse<String> refused = ServerTestSupport.post(server, "/v1/chat/completions", longStream());
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(ServerTestSupport.json(refused).getAsJsonObject("error").get("code").getAsString())
                    .isEqualTo("queue_full");

            running.close();
            // the server notices at its next write, cancels, frees the slot, and the queued one runs
            await(() -> ServerTestSupport.metric(server, "billion_requests_cancelled_total") == 1, "a cancellation");
            queued.awaitFirstEvent();
            queued.close();
            await(() -> ServerTestSupport.metric(server, "billion_requests_cancelled_total") == 2, "two cancellations");
            await(() -> ServerTestSupport.metric(server, "billion_requests_running") == 0, "no generation running");
            // the cancelled rows left the batch and its KV cache was freed
            await(() -> ServerTestSupport.metric(server, "billion_batch_size") == 0, "an empty batch");
            assertThat(ServerTestSupport.metric(server, "billion_batch_kv_positions")).isZero();
            String line = log.stream().filter(l -> l.contains("client_gone")).findFirst().orElseThrow();
            assertThat(line).contains("finish=cancelled");
            int generated = Integer.parseInt(line.replaceAll(".*completion_tokens=(\\d+).*", "$1"));
            assertThat(generated).isLessThan(LONG);
        }
    }

    @Test
    void closeCancelsRunningGenerationsAfterTheGraceAndRefusesTheQueue() throws Exception {
        BillionServer server = ServerTestSupport.start(model, new ConcurrentLinkedQueue<>(),
                b -> b.optMaxTokensCap(LONG).optShutdownGrace(Duration.ZERO).optMaxConcurrency(1).optQueueSize(1));
        RawStream running = RawStream.open(server, longStream());
        running.awaitFirstEvent();
        CompletableFuture<String> rest = CompletableFuture.supplyAsync(running::readAll);
        CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(
                () -> ServerTestSupport.post(server, "/v1/chat/completions", longStream()));
        await(() -> ServerTestSupport.metric(server, "billion_queue_depth") == 1, "a request in the queue");
        long t0 = System.nanoTime();
        server.close();
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(30));
        String tail = rest.get(30, TimeUnit.SECONDS);
        assertThat(tail).contains("\"finish_reason\":\"cancelled\"").contains("data: [DONE]");
        HttpResponse<String> refused = queued.get(30, TimeUnit.SECONDS);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        running.close();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** A streaming request over a plain socket, so the test decides when the client goes away. */
    private static final class RawStream implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;

        private RawStream(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        static RawStream open(BillionServer server, String body) throws IOException {
            Socket s = new Socket("127.0.0.1", server.port());
            s.setSoTimeout(60_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + ServerTestSupport.API_KEY + "\r\nContent-Length: " + bytes.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            return new RawStream(s);
        }

        void awaitFirstEvent() throws IOException {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    return;
                }
            }
            throw new AssertionError("the stream ended before its first event");
        }

        String readAll() {
            StringBuilder s = new StringBuilder();
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    s.append(line).append('\n');
                }
            } catch (IOException e) {
                s.append("<").append(e.getMessage()).append(">");
            }
            return s.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
