package dev.billionllm.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.billionllm.core.Model;
import dev.billionllm.core.generate.CancellationToken;
import dev.billionllm.core.generate.ContinuousBatcher;
import dev.billionllm.core.generate.DecodingStrategy;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.tokenize.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An OpenAI-compatible HTTP server over loaded {@link Model}s. It keeps no state between requests
 * (no sessions, no cached conversations), so any number of replicas can run behind an ordinary
 * load balancer.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("testdata/tiny-tinyllama"));
 *         BillionServer server = BillionServer.builder()
 *                 .addModel("tiny", model)
 *                 .optPort(8080)
 *                 .build()) {
 *     System.out.println("listening on " + server.uri());
 *     server.awaitClose();
 * }
 * }</pre>
 *
 * <p>HTTP comes from the JDK's {@code com.sun.net.httpserver}: no dependency, chunked responses
 * for server-sent events, and a thread per running request, while {@link Admission} bounds how
 * many run and wait.
 *
 * <p>Generation is continuously batched by default: each model has one {@link ContinuousBatcher}
 * whose thread runs one forward pass per step for all of its running requests; a request joins the
 * batch at the next step and leaves when it ends or its client goes away. The request's own thread
 * writes its tokens as the batcher hands them over, so a slow reader never holds back the batch.
 * {@link Builder#optBatching(boolean) optBatching(false)} runs each request's own decode loop on its
 * thread instead.
 *
 * <p>The server does not own the models: close it first, then the models.
 */
public final class BillionServer implements AutoCloseable {
    private final Map<String, ServedModel> models;
    private final String servedIds;
    private final byte[] apiKeyHash; // null = no key required
    private final long maxBodyBytes;
    private final int maxTokensCap;
    private final Duration shutdownGrace;
    private final Consumer<String> log;
    private final Admission admission;
    private final ServerMetrics metrics = new ServerMetrics();
    private final Set<CancellationToken> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, ContinuousBatcher> batchers; // per model id; none for a model run per request
    private final HttpServer http;
    private final ExecutorService executor;
    private final Object closeLock = new Object();
    private boolean closed; // guarded by closeLock

    private BillionServer(Builder b) throws IOException {
        this.models = Map.copyOf(b.models);
        this.servedIds = String.join(", ", b.models.keySet());
        this.apiKeyHash = b.apiKey == null ? null : sha256(b.apiKey);
        this.maxBodyBytes = b.maxBodyBytes;
        this.maxTokensCap = b.maxTokensCap;
        this.shutdownGrace = b.shutdownGrace;
        this.log = b.log;
        int maxConcurrency = b.maxConcurrency > 0 ? b.maxConcurrency
                : b.batching ? Builder.DEFAULT_MAX_CONCURRENCY : Builder.DEFAULT_MAX_CONCURRENCY_UNBATCHED;
        this.admission = new Admission(maxConcurrency, b.queueSize);
        // one thread per running or queued request, plus a few for /health, /metrics and refusals
        int threads = maxConcurrency + b.queueSize + 8;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "billion-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.http = HttpServer.create(new InetSocketAddress(b.host, b.port), 128);
        // admission lets at most maxConcurrency generations in, so a larger batch would never fill
        this.batchers = b.batching
                ? startBatchers(b.maxBatch > 0 ? Math.min(b.maxBatch, maxConcurrency) : maxConcurrency)
                : Map.of();
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A batcher per model that can batch: plain decoding (a speculative generator drafts per
     * request) on a backend that can {@code stackRows}; the others generate per request.
     */
    private Map<String, ContinuousBatcher> startBatchers(int maxBatch) {
        Map<String, ContinuousBatcher> out = new LinkedHashMap<>();
        for (ServedModel m : models.values()) {
            Generator g = m.generator();
            if (g.strategy() != DecodingStrategy.plain() || !g.model().canStackRows()) {
                log.accept("model " + m.id() + ": no continuous batching ("
                        + (g.model().canStackRows() ? g.strategy() : "its backend cannot stack KV cache rows")
                        + "); each request decodes on its own");
                continue;
            }
            out.put(m.id(), ContinuousBatcher.builder(g).optMaxBatch(maxBatch).optThreadName("billion-batch-" + m.id())
                    .build());
            log.accept("model " + m.id() + ": continuous batching, up to " + maxBatch + " requests per step");
        }
        return Map.copyOf(out);
    }

    /** The port the server listens on (the chosen one when built with port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The base URI, such as {@code http://127.0.0.1:8080}. */
    public URI uri() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
    }

    /** Blocks until {@link #close()} has run (from another thread or a shutdown hook). */
    public void awaitClose() throws InterruptedException {
        synchronized (closeLock) {
            while (!closed) {
                closeLock.wait();
            }
        }
    }

    /**
     * Stops: refuses new requests (503), lets running generations finish for up to the shutdown
     * grace, cancels those still running, then closes the socket. Idempotent.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
        }
        admission.close();
        long deadline = System.nanoTime() + shutdownGrace.toNanos();
        while (admission.running() > 0 && System.nanoTime() < deadline) {
            sleep(20);
        }
        inFlight.forEach(CancellationToken::cancel);
        // a cancelled generation stops before its next forward pass: one step
        long cancelDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (admission.running() > 0 && System.nanoTime() < cancelDeadline) {
            sleep(20);
        }
        http.stop(0);
        // let the handlers write their last bytes and log lines before we say we are closed
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
        batchers.values().forEach(ContinuousBatcher::close);
        synchronized (closeLock) {
            closed = true;
            closeLock.notifyAll();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every request enters here: route, authenticate, answer, and always one log line. */
    private void handle(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        RequestLog line = new RequestLog(remote(exchange), exchange.getRequestMethod(), path);
        String endpoint = endpoint(path);
        try {
            route(exchange, path, line);
        } catch (ApiError e) {
            line.error = e.code;
            respondError(exchange, e, line);
        } catch (IOException | UncheckedIOException e) {
            // the client went away while we read or wrote: nothing left to answer
            line.clientGone = true;
            line.status = line.status == 0 ? 499 : line.status;
        } catch (RuntimeException | Error e) {
            // a bug of ours: the client gets a generic 500, the log gets the cause
            line.error = e.getClass().getName() + ": " + e.getMessage();
            respondError(exchange, ApiError.internal(), line);
        } finally {
            metrics.request(endpoint, line.status);
            exchange.close();
            log.accept(line.line());
        }
    }

    private void route(HttpExchange exchange, String path, RequestLog line) throws IOException {
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/health":
                requireMethod(method, "GET", path);
                line.status = 200;
                HttpIo.send(exchange, 200, "application/json", "{\"status\":\"ok\"}");
                return;
            case "/metrics":
                authenticate(exchange);
                requireMethod(method, "GET", path);
                line.status = 200;
                HttpIo.send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                        metricsText());
                return;
            case "/v1/models":
                authenticate(exchange);
                requireMethod(method, "GET", path);
                line.status = 200;
                HttpIo.sendJson(exchange, 200, modelList());
                return;
            case "/v1/chat/completions":
            case "/v1/completions":
                authenticate(exchange);
                requireMethod(method, "POST", path);
                complete(exchange, path.equals("/v1/chat/completions"), line);
                return;
            default:
                if (path.startsWith("/v1/models/")) {
                    authenticate(exchange);
                    requireMethod(method, "GET", path);
                    ServedModel m = models.get(path.substring("/v1/models/".length()));
                    if (m == null) {
                        throw ApiError.modelNotFound(path.substring("/v1/models/".length()), servedIds);
                    }
                    line.status = 200;
                    HttpIo.sendJson(exchange, 200, modelJson(m));
                    return;
                }
                throw ApiError.notFound(path);
        }
    }

    private void complete(HttpExchange exchange, boolean chat, RequestLog line) throws IOException {
        long arrival = System.nanoTime();
        JsonObject body = HttpIo.readJsonObject(exchange, maxBodyBytes);
        CompletionRequest request = CompletionRequest.parse(body, chat, models::get, servedIds, maxTokensCap);
        line.model = request.model().id();
        CancellationToken cancel = new CancellationToken();
        try (Admission.Slot slot = admission.enter()) {
            inFlight.add(cancel);
            try {
                line.status = 200;
                new CompletionResponder(request, batchers.get(request.model().id()), metrics, line, cancel, arrival)
                        .respond(exchange);
            } finally {
                inFlight.remove(cancel);
            }
        }
    }

    private void authenticate(HttpExchange exchange) {
        if (apiKeyHash == null) {
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiError.unauthorized("Missing API key: send the header 'Authorization: Bearer YOUR_KEY'");
        }
        // comparing fixed-length hashes takes the same time whatever the key, so timing reveals nothing
        if (!MessageDigest.isEqual(apiKeyHash, sha256(header.substring(7).trim()))) {
            throw ApiError.unauthorized("Incorrect API key provided");
        }
    }

    private static void requireMethod(String method, String allowed, String path) {
        if (!method.equals(allowed)) {
            throw ApiError.methodNotAllowed(method, path, allowed);
        }
    }

    private void respondError(HttpExchange exchange, ApiError e, RequestLog line) {
        line.status = e.status;
        try {
            if (e.retryAfterSeconds > 0) {
                exchange.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds));
            }
            if (e.status == 401) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            }
            HttpIo.sendJson(exchange, e.status, e.toJson());
        } catch (IOException | RuntimeException io) {
            // headers already sent (an error in mid-stream) or the client is gone: nothing more to say
            line.clientGone = true;
        }
    }

    private JsonObject modelList() {
        JsonArray data = new JsonArray();
        models.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).forEach(m -> data.add(modelJson(m)));
        JsonObject o = new JsonObject();
        o.addProperty("object", "list");
        o.add("data", data);
        return o;
    }

    private static JsonObject modelJson(ServedModel m) {
        JsonObject o = new JsonObject();
        o.addProperty("id", m.id());
        o.addProperty("object", "model");
        o.addProperty("created", m.createdEpochSeconds());
        o.addProperty("owned_by", "billion-llm");
        o.addProperty("context_length", m.contextLength());
        return o;
    }

    private static String endpoint(String path) {
        switch (path) {
            case "/health":
            case "/metrics":
            case "/v1/models":
            case "/v1/chat/completions":
            case "/v1/completions":
                return path;
            default:
                // unknown paths share one label so clients cannot grow the metric without bound
                return path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        }
    }

    private static String remote(HttpExchange exchange) {
        InetSocketAddress a = exchange.getRemoteAddress();
        return a == null ? "-" : a.getAddress().getHostAddress();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Metrics text as {@code GET /metrics} serves it. */
    String metricsText() {
        int rows = 0;
        long positions = 0;
        for (ContinuousBatcher b : batchers.values()) {
            rows += b.runningRows();
            positions += b.cachedPositions();
        }
        return metrics.render(admission.running(), admission.queued(), rows, positions, System.currentTimeMillis());
    }

    /** Builds and starts a {@link BillionServer}. */
    public static final class Builder {
        /** Default of {@link #optHost}: loopback only, so a server is never exposed by accident. */
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 8080;
        /**
         * Default of {@link #optMaxConcurrency} with continuous batching: ServerBench measured the
         * batched step's throughput still rising at 16 clients (int8 3.8x one loop per request).
         */
        public static final int DEFAULT_MAX_CONCURRENCY = 16;
        /**
         * Default without batching: each generation is its own decode loop reading all the
         * weights, so more than a few at once only queue up on the cores.
         */
        public static final int DEFAULT_MAX_CONCURRENCY_UNBATCHED = 4;
        public static final int DEFAULT_QUEUE_SIZE = 64;
        public static final int DEFAULT_MAX_TOKENS_CAP = 2048;
        public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;
        public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

        private final Map<String, ServedModel> models = new LinkedHashMap<>();
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private String apiKey;
        private int maxConcurrency; // 0: the default for the batching mode
        private int queueSize = DEFAULT_QUEUE_SIZE;
        private int maxTokensCap = DEFAULT_MAX_TOKENS_CAP;
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private boolean batching = true;
        private int maxBatch; // 0: the max concurrency
        private Consumer<String> log = line -> System.err.println("[serve] " + line);

        private Builder() {}

        /**
         * Serves {@code model} under {@code id} (what clients pass as {@code "model"}). At least
         * one is required; the server does not close it.
         */
        public Builder addModel(String id, Model model) {
            Objects.requireNonNull(model, "model");
            return addModel(id, model.generator(), model.tokenizer());
        }

        /**
         * Serves a model that is not a folder (a {@code CausalLM} built in code, random weights
         * for a benchmark): {@code generator} must carry {@code tokenizer} and, for chat, a chat
         * template; its default configuration is what requests override.
         */
        public Builder addModel(String id, Generator generator, Tokenizer tokenizer) {
            Objects.requireNonNull(generator, "generator");
            Objects.requireNonNull(tokenizer, "tokenizer");
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("a model id must be a non-blank name, got '" + id + "'");
            }
            if (models.containsKey(id)) {
                throw new IllegalArgumentException("model id '" + id + "' is given twice; give each model its own id");
            }
            models.put(id, ServedModel.of(id, generator, tokenizer));
            return this;
        }

        /** Address to bind. Default {@value #DEFAULT_HOST}; "0.0.0.0" listens on every interface. */
        public Builder optHost(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** Port to bind; 0 picks a free one (see {@link BillionServer#port()}). Default {@value #DEFAULT_PORT}. */
        public Builder optPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * The key clients must send as {@code Authorization: Bearer KEY} on every endpoint but
         * {@code /health}. Default: none (no key asked).
         */
        public Builder optApiKey(String key) {
            if (key != null && key.isBlank()) {
                throw new IllegalArgumentException("the API key must not be blank; pass null for no key");
            }
            this.apiKey = key;
            return this;
        }

        /**
         * Generations that run at once; more wait in the queue. Default {@value #DEFAULT_MAX_CONCURRENCY}
         * with batching, {@value #DEFAULT_MAX_CONCURRENCY_UNBATCHED} without.
         */
        public Builder optMaxConcurrency(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("max concurrency must be >= 1, got " + n);
            }
            this.maxConcurrency = n;
            return this;
        }

        /** Requests that may wait for a slot; beyond that they get 429. Default {@value #DEFAULT_QUEUE_SIZE}. */
        public Builder optQueueSize(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("queue size must be >= 0, got " + n);
            }
            this.queueSize = n;
            return this;
        }

        /**
         * The most tokens one request may generate; a larger {@code max_tokens} is refused (400)
         * and requests without one get at most this. Default {@value #DEFAULT_MAX_TOKENS_CAP}.
         */
        public Builder optMaxTokensCap(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("max tokens cap must be >= 1, got " + n);
            }
            this.maxTokensCap = n;
            return this;
        }

        /** Largest request body accepted; larger ones get 413. Default 1 MiB. */
        public Builder optMaxBodyBytes(long bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("max body bytes must be >= 1024, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /** How long {@link BillionServer#close()} lets running generations finish before cancelling them. Default 10 s. */
        public Builder optShutdownGrace(Duration grace) {
            if (grace == null || grace.isNegative()) {
                throw new IllegalArgumentException("shutdown grace must be >= 0, got " + grace);
            }
            this.shutdownGrace = grace;
            return this;
        }

        /**
         * Whether a model's running requests share one batched forward pass per step (continuous
         * batching), or each runs its own decode loop. Default true. Models that cannot batch (a
         * speculative generator, a backend without {@code stackRows}) always run per request.
         */
        public Builder optBatching(boolean batching) {
            this.batching = batching;
            return this;
        }

        /**
         * The most requests of one model in a batched step; admitted requests beyond it wait for a
         * row. Default, and upper bound: {@link #optMaxConcurrency}, so every running generation is
         * in the batch (more rows could never fill).
         */
        public Builder optMaxBatch(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("max batch must be >= 1, got " + n);
            }
            this.maxBatch = n;
            return this;
        }

        /** Where the one line per request goes. Default: standard error, prefixed "[serve] ". */
        public Builder optLog(Consumer<String> log) {
            this.log = Objects.requireNonNull(log, "log");
            return this;
        }

        /**
         * Binds the socket and starts serving.
         *
         * @throws IllegalStateException when no model was added
         * @throws UncheckedIOException when the address cannot be bound (port in use, ...)
         */
        public BillionServer build() {
            if (models.isEmpty()) {
                throw new IllegalStateException("a server needs at least one model: addModel(id, model)");
            }
            try {
                return new BillionServer(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
            }
        }
    }
}
