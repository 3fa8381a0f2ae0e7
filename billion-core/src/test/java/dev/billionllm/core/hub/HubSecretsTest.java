package dev.billionllm.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-supplied text and URLs are printed without credentials (issue 15): a hostile or broken
 * server that echoes the Authorization header must not get the token onto the terminal, and a
 * password in HF_ENDPOINT must not appear in any message or log line.
 */
class HubSecretsTest {
    static final String TOKEN = "hf_SecretTokenThatMustNeverLeak_4242";

    @TempDir
    Path tmp;
    HttpServer server;
    String endpoint;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // Echoes the request's Authorization header back, as a careless proxy might.
        server.createContext("/api/", ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            ex.getResponseHeaders().add("X-Error-Message", "denied for " + auth + " token=" + TOKEN);
            ex.sendResponseHeaders(401, -1);
            ex.close();
        });
        // Redirects to itself forever.
        server.createContext("/loop/", ex -> {
            ex.getResponseHeaders().add("Location", ex.getRequestURI().getPath());
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.start();
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    HubOptions.Builder options(String endpoint) {
        return HubOptions.builder().optEndpoint(endpoint).optCacheDir(tmp.resolve("hub")).optQuiet(false)
                .optMaxRetries(0).optInitialBackoff(Duration.ofMillis(10)).optToken(TOKEN);
    }

    private static String everythingPrinted(Runnable r) {
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        System.setErr(capture);
        System.setOut(capture);
        try {
            Throwable t = catchThrowable(r::run);
            assertThat(t).isNotNull();
            capture.println(t.getMessage());
            for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
                capture.println(c.getMessage());
            }
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void echoedTokensAreRemovedFromServerMessages() {
        HubClient client = new HubClient(options(endpoint).build());
        String printed = everythingPrinted(() -> client.download("org/model"));
        assertThat(printed).contains("(Hub: denied for Bearer ***").contains("token=***")
                .doesNotContain(TOKEN).doesNotContain("SecretToken");
    }

    @Test
    void passwordsInTheEndpointNeverAppear() {
        String withPassword = "http://alice:s3cr3tPassw0rd@" + endpoint.substring("http://".length());
        HubClient client = new HubClient(options(withPassword).build());
        String printed = everythingPrinted(() -> client.download("org/model"));
        assertThat(printed).doesNotContain("s3cr3tPassw0rd").doesNotContain(TOKEN);
        assertThat(options(withPassword).build().toString()).doesNotContain("s3cr3tPassw0rd");
    }

    @Test
    void aRedirectLoopSaysSo() {
        HubHttp http = new HubHttp(options(endpoint).build());
        Throwable t = catchThrowable(() -> http.getJson(java.net.URI.create(endpoint + "/loop/x"),
                new HubHttp.Target(RepoId.of("org/model"), "main", null)));
        assertThat(t).isInstanceOf(HubException.class).hasMessageContaining("Too many redirects (more than 10)")
                .hasMessageContaining("loop");
    }

    @Test
    void redactionCoversTheUsualShapes() {
        assertThat(Secrets.redact("GET https://bob:pw@hub.example/x?a=1 failed")).isEqualTo("GET https://***@hub.example/x?a=1 failed");
        assertThat(Secrets.redact("Authorization: Bearer abc.def-123")).isEqualTo("Authorization: Bearer ***");
        assertThat(Secrets.redact("key hf_abcdEFGH1234 and api_org_XYZW_9876")).isEqualTo("key hf_*** and api_org_***");
        assertThat(Secrets.redact("password=hunter22&x=1")).isEqualTo("password=***&x=1");
        assertThat(Secrets.redact("plain text, hf_ alone, user@example.com, the token must belong"))
                .isEqualTo("plain text, hf_ alone, user@example.com, the token must belong");
        assertThat(Secrets.serverText("a\nb\u001b[31m" + "x".repeat(500), 20)).doesNotContain("\n").doesNotContain("\u001b")
                .endsWith("...").hasSizeLessThanOrEqualTo(23);
    }
}
