package dev.billionllm.bench.serve;

import dev.billionllm.bench.export.OnnxExportBench;
import dev.billionllm.bench.export.RandomLlamaWeights;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.chat.ChatTemplates;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.tokenize.HfTokenizer;
import dev.billionllm.server.BillionServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code billion serve}'s throughput and latency on a 1.1B-parameter model (TinyLlama's shape,
 * random weights, so nothing is downloaded) at several numbers of concurrent clients: with
 * continuous batching (the default), with one decode loop per request ({@code --no-batching}),
 * and next to what one decode loop over the same requests gives without a server ({@code
 * Generator.generateBatch}, no HTTP, all rows start together), the most batching could reach.
 *
 * <pre>
 * flock /tmp/bench.lock java -cp ... dev.billionllm.bench.serve.ServerBench --backend pytorch,int8 \
 *     --clients 1,4,16,32 --tokens 8 [--layers 22] [--threads 2] [--work /tmp/billion-serve-bench]
 * </pre>
 *
 * Every client sends one streaming completion request (greedy, eos ignored, so each makes exactly
 * {@code --tokens} tokens). Tokens/s counts generated tokens over the wall time of the round.
 */
public final class ServerBench {
    private static final String PROMPT = "question: what colour is the sky? answer:";

    private ServerBench() {}

    public static void main(String[] args) throws Exception {
        List<String> backends = List.of("pytorch", "int8");
        int[] clients = {1, 4, 16, 32};
        int tokens = 8;
        int layers = 22;
        int threads = Runtime.getRuntime().availableProcessors();
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "billion-serve-bench");
        Path tokenizerFolder = Path.of(System.getProperty("billion.root", "."), "testdata", "tiny-tinyllama");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backends = List.of(args[++i].split(","));
                case "--clients" -> clients = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--layers" -> layers = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--tokenizer" -> tokenizerFolder = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--backend pytorch,int8 --clients 1,4,16,32 --tokens N --layers N --threads N --work DIR "
                        + "--tokenizer FOLDER)");
            }
        }
        ModelConfig config = OnnxExportBench.tinyLlama(layers);
        System.out.printf(Locale.ROOT, "TinyLlama-1.1B shape, %d layers, %.2fB parameters, random weights; %d threads, "
                        + "%d cores; %d tokens per request%n", layers, config.parameterCount() / 1e9, threads,
                Runtime.getRuntime().availableProcessors(), tokens);
        System.out.println("| backend | clients | mode | tokens/s | TTFT p50 ms | TTFT max ms | request p50 ms |");
        System.out.println("|---|---|---|---|---|---|---|");
        try (HfTokenizer tokenizer = HfTokenizer.load(tokenizerFolder)) {
            // the model's vocabulary is 32000, the tokenizer's smaller: sample only ids it can decode
            LoadOptions options = LoadOptions.builder().optThreads(threads)
                    .optUsableVocabSize(Math.min(tokenizer.vocabSize(), config.vocabSize())).build();
            for (String backend : backends) {
                try (CausalLM lm = RandomLlamaWeights.open(backend, config, work, options)) {
                    Generator generator = Generator.builder(lm).optTokenizer(tokenizer)
                            .optChatTemplate(ChatTemplates.load(tokenizerFolder, tokenizer)).build();
                    run(backend, generator, tokenizer, clients, tokens);
                }
            }
        }
    }

    /** The three ways a round of {@code n} requests is served, in the table's order. */
    private static final List<String> MODES = List.of("server, continuous batching", "server, one loop per request",
            "batched decode, no HTTP");

    private static void run(String backend, Generator generator, HfTokenizer tokenizer, int[] clients, int tokens)
            throws Exception {
        int most = Arrays.stream(clients).max().orElse(1);
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(tokens).optTemperature(0)
                .optEosTokenIds(Set.of()).build();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // Both servers share the model and run side by side; each round of n clients runs the three
        // modes back to back, so a change in the machine's load hits all three alike.
        try (BillionServer batching = server(generator, tokenizer, most, true);
                BillionServer perRequest = server(generator, tokenizer, most, false)) {
            request(http, batching.uri(), tokens); // warm-up
            request(http, perRequest.uri(), tokens);
            for (int n : clients) {
                round(backend, n, MODES.get(0), http, batching.uri(), tokens);
                round(backend, n, MODES.get(1), http, perRequest.uri(), tokens);
                List<Prompt> prompts = Collections.nCopies(n, Prompt.text(PROMPT));
                long b0 = System.nanoTime();
                List<GenerationResult> results = generator.generateBatch(prompts, config);
                double batchSeconds = (System.nanoTime() - b0) / 1e9;
                List<long[]> batchTimings = new ArrayList<>();
                long total = System.nanoTime() - b0;
                for (GenerationResult r : results) {
                    batchTimings.add(new long[] {r.timings().timeToFirstToken().toNanos(), total});
                }
                row(backend, n, MODES.get(2), n * tokens / batchSeconds, batchTimings);
            }
        }
    }

    private static BillionServer server(Generator generator, HfTokenizer tokenizer, int most, boolean batching) {
        return BillionServer.builder().addModel("bench", generator, tokenizer).optPort(0).optMaxConcurrency(most)
                .optQueueSize(most).optBatching(batching).optLog(line -> {}).build();
    }

    /** {@code n} clients at once, one streaming request each. */
    private static void round(String backend, int n, String mode, HttpClient http, URI uri, int tokens)
            throws Exception {
        List<long[]> timings = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(n);
        long t0 = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            done.add(pool.submit(() -> timings.add(request(http, uri, tokens))));
        }
        for (Future<?> f : done) {
            f.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        row(backend, n, mode, n * tokens / seconds, timings);
    }

    private static void row(String backend, int clients, String mode, double tokensPerSecond, List<long[]> timings) {
        List<Long> ttft = new ArrayList<>();
        List<Long> total = new ArrayList<>();
        for (long[] t : timings) {
            ttft.add(t[0]);
            total.add(t[1]);
        }
        Collections.sort(ttft);
        Collections.sort(total);
        System.out.printf(Locale.ROOT, "| %s | %d | %s | %.1f | %.0f | %.0f | %.0f |%n", backend, clients, mode,
                tokensPerSecond, ttft.get(ttft.size() / 2) / 1e6, ttft.get(ttft.size() - 1) / 1e6,
                total.get(total.size() / 2) / 1e6);
        System.out.flush();
    }

    /** One streaming completion; returns {time to first token, total} in nanoseconds. */
    private static long[] request(HttpClient http, URI base, int tokens) {
        String body = "{\"model\":\"bench\",\"stream\":true,\"temperature\":0,\"ignore_eos\":true,\"max_tokens\":" + tokens
                + ",\"prompt\":\"" + PROMPT + "\"}";
        long t0 = System.nanoTime();
        long first = -1;
        try {
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + r.statusCode());
            }
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (first < 0 && line.startsWith("data: {")) {
                        first = System.nanoTime() - t0;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new long[] {first, System.nanoTime() - t0};
    }
}
