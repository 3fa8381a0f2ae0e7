package dev.billionllm.examples.cli;

import dev.billionllm.core.Model;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.server.BillionServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code billion serve}: loads the models and runs the OpenAI-compatible server until SIGTERM
 * (or Ctrl-C), then stops it cleanly. The server itself is {@link BillionServer}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve models over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions, "
                + "/v1/models, /health, /metrics). See docs/server.md.")
final class ServeCommand implements Callable<Integer> {
    /** Environment variable read for the API key when --api-key is not given. */
    static final String API_KEY_ENV = "BILLION_API_KEY";

    @ParentCommand
    BillionCli cli;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", required = true,
            description = "Model to serve (repeatable): spec id, local folder or bundled model name. "
                    + "Clients name it by what you typed here, or by the folder name for a path.")
    List<String> models;

    /** Loading options, the same as generate's, applied to every {@code -m}. */
    @Mixin
    LoadFlags flags = new LoadFlags();

    /** Speculative decoding, as generate's {@code --draft} / {@code --prompt-lookup}, for every {@code -m}. */
    @Mixin
    DraftOptions drafting = new DraftOptions();

    @Option(names = "--host", paramLabel = "HOST", defaultValue = BillionServer.Builder.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' (default: the " + API_KEY_ENV
                    + " environment variable, else no key).")
    String apiKey;

    @Option(names = "--max-concurrency", paramLabel = "N",
            description = "Generations running at once (default: 16 with batching, 4 with --no-batching).")
    Integer maxConcurrency;

    @Option(names = "--max-batch", paramLabel = "N",
            description = "Requests of one model decoded together in one batched step (default: --max-concurrency).")
    Integer maxBatch;

    @Option(names = "--no-batching",
            description = "Run each request's own decode loop instead of continuous batching.")
    boolean noBatching;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Requests waiting for a slot before 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-tokens-cap", paramLabel = "N", defaultValue = "2048",
            description = "Largest max_tokens a request may ask for (default: ${DEFAULT-VALUE}).")
    int maxTokensCap;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", defaultValue = "10",
            description = "On SIGTERM, seconds running generations may finish before they are cancelled "
                    + "(default: ${DEFAULT-VALUE}).")
    int shutdownGraceSeconds;

    @Override
    public Integer call() {
        List<Model> loaded = new ArrayList<>();
        BillionServer server = null;
        CliShutdown.Work work = null;
        try {
            BillionServer.Builder builder = BillionServer.builder()
                    .optHost(host)
                    .optPort(port)
                    .optApiKey(apiKey != null ? apiKey : System.getenv(API_KEY_ENV))
                    .optBatching(!noBatching)
                    .optQueueSize(queue)
                    .optMaxTokensCap(maxTokensCap)
                    .optShutdownGrace(Duration.ofSeconds(shutdownGraceSeconds))
                    .optLog(line -> {
                        cli.err.println("[serve] " + line);
                        cli.err.flush();
                    });
            if (maxConcurrency != null) {
                builder.optMaxConcurrency(maxConcurrency);
            }
            if (maxBatch != null) {
                builder.optMaxBatch(maxBatch);
            }
            for (String reference : models) {
                // Loaded exactly as generate and chat load it (the fast path by default).
                Model m = flags.load(reference, cli.err, true);
                loaded.add(m);
                // one draft model (loaded by the first call) is shared by every target
                Generator generator = drafting.apply(m, flags, cli.err);
                builder.addModel(modelId(reference), generator, m.tokenizer());
                cli.err.printf("[serve] loaded %s as '%s' on %s in %d ms%s%n", m.folder(), modelId(reference),
                        m.backend(), m.loadTime().toMillis(), drafting.enabled()
                                ? ", " + generator.strategy().name() + " decoding" : "");
            }
            server = builder.build();
            BillionServer running = server;
            // On SIGTERM/Ctrl-C, CliShutdown closes the server (running requests get the grace), then
            // waits for this thread to close the models before the JVM and ONNX Runtime tear down.
            work = CliShutdown.begin(running::close);
            cli.err.println("[serve] listening on " + server.uri() + " (stop with Ctrl-C or SIGTERM)");
            cli.err.flush();
            try {
                server.awaitClose();
            } catch (InterruptedException e) {
                // an embedding thread asked us to stop: close below, like SIGTERM
                Thread.currentThread().interrupt();
            }
            cli.err.println("[serve] stopped");
            return 0;
        } finally {
            if (server != null) {
                server.close();
            }
            loaded.forEach(Model::close);
            drafting.close();
            if (work != null) {
                work.close();
            }
        }
    }

    /** What clients pass as "model": the reference as typed, or the folder name for a path. */
    static String modelId(String reference) {
        Path p = Path.of(reference);
        return p.getNameCount() > 1 || reference.startsWith("/") || reference.startsWith(".")
                ? p.toAbsolutePath().normalize().getFileName().toString() : reference;
    }
}
