package dev.billionllm.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import dev.billionllm.core.generate.CancellationToken;
import dev.billionllm.core.generate.ContinuousBatcher;
import dev.billionllm.core.generate.FinishReason;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.generate.TokenEvent;
import dev.billionllm.core.generate.TokenListener;
import dev.billionllm.core.tokenize.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Runs one admitted {@link CompletionRequest} and writes OpenAI's response: one JSON object, or
 * server-sent events ({@code data: {chunk}} per token, a chunk with the finish reason, the usage
 * chunk when asked, then {@code data: [DONE]}). When a streaming client goes away, the next write
 * fails, which cancels the generation; it then frees its KV cache before its next step (with
 * batching: its row leaves the batch).
 *
 * <p>With a {@link ContinuousBatcher}, the tokens are made on the batcher's thread and written
 * from this request's thread: the batcher only queues them, so a slow client holds back no other
 * request. Its queue holds at most the request's own tokens.
 */
final class CompletionResponder {
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    /** OpenAI's stand-in for the log-probability of an impossible token (JSON has no -Infinity). */
    private static final double LOGPROB_FLOOR = -9999.0;
    /** Queued after a batched row's last token; compared by identity, never handed to a listener. */
    private static final TokenEvent END_OF_ROW = new TokenEvent(-1, -1, -1, "", null);

    private final CompletionRequest request;
    private final ContinuousBatcher batcher; // null: generate on this thread
    private final ServerMetrics metrics;
    private final RequestLog log;
    private final CancellationToken cancel;
    private final long arrivalNanos;
    private final String id;
    private final long created = System.currentTimeMillis() / 1000;
    private final Tokenizer tokenizer;

    CompletionResponder(CompletionRequest request, ContinuousBatcher batcher, ServerMetrics metrics, RequestLog log,
            CancellationToken cancel, long arrivalNanos) {
        this.request = request;
        this.batcher = batcher;
        this.metrics = metrics;
        this.log = log;
        this.cancel = cancel;
        this.arrivalNanos = arrivalNanos;
        this.id = (request.chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        this.tokenizer = request.model().tokenizer();
    }

    void respond(HttpExchange exchange) throws IOException {
        metrics.promptTokens(request.promptIds().length);
        log.promptTokens = request.promptIds().length;
        int capacity = request.promptIds().length + request.config().maxNewTokens();
        try (LogprobScorer scorer = request.wantsLogprobs()
                ? new LogprobScorer(request.model().lm(), request.promptIds(), capacity, request.topLogprobs())
                : null) {
            if (request.stream()) {
                stream(exchange, scorer);
            } else {
                whole(exchange, scorer);
            }
        }
    }

    private void whole(HttpExchange exchange, LogprobScorer scorer) throws IOException {
        List<LogprobScorer.Scored> scored = new ArrayList<>();
        GenerationResult r = generate(e -> {
            if (scorer != null) {
                scored.add(scorer.score(e.tokenId(), e.isLast()));
            }
        });
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (request.chat()) {
            JsonObject message = new JsonObject();
            message.addProperty("role", "assistant");
            message.addProperty("content", r.text());
            message.add("refusal", JsonNull.INSTANCE);
            choice.add("message", message);
        } else {
            choice.addProperty("text", r.text());
        }
        choice.add("logprobs", scorer == null ? JsonNull.INSTANCE : logprobs(scored));
        choice.addProperty("finish_reason", finishReason(r.finishReason()));
        JsonObject body = envelope(request.chat() ? "chat.completion" : "text_completion");
        JsonArray choices = new JsonArray();
        choices.add(choice);
        body.add("choices", choices);
        body.add("usage", usage(r));
        HttpIo.sendJson(exchange, 200, body);
    }

    private void stream(HttpExchange exchange, LogprobScorer scorer) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        // tell reverse proxies (nginx) not to buffer the stream
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        exchange.sendResponseHeaders(200, 0);
        Events events = new Events(exchange.getResponseBody());
        if (request.chat()) {
            JsonObject delta = new JsonObject();
            delta.addProperty("role", "assistant");
            delta.addProperty("content", "");
            events.send(chunk(delta, null, null));
        }
        GenerationResult r = generate(e -> {
            JsonElement lp = scorer == null ? null : logprobs(List.of(scorer.score(e.tokenId(), e.isLast())));
            if (!e.text().isEmpty() || lp != null) {
                events.send(chunk(content(e.text()), lp, null));
            }
            if (e.isLast()) {
                events.send(chunk(request.chat() ? new JsonObject() : content(""), null, finishReason(e.finishReason())));
            }
        });
        if (r.finishReason() == FinishReason.CANCELLED) {
            // the client is gone (nothing to write to) or the server is stopping (say so)
            events.send(chunk(request.chat() ? new JsonObject() : content(""), null, finishReason(r.finishReason())));
        }
        if (request.includeUsage()) {
            JsonObject last = envelope(request.chat() ? "chat.completion.chunk" : "text_completion");
            last.add("choices", new JsonArray());
            last.add("usage", usage(r));
            events.send(last);
        }
        events.done();
    }

    /** Generates with {@code listener}, keeping the metrics and the log line. */
    private GenerationResult generate(TokenListener listener) {
        TokenListener counted = e -> {
            if (e.index() == 0) {
                double ttft = (System.nanoTime() - arrivalNanos) / 1e9;
                metrics.timeToFirstToken(ttft);
                log.ttftMillis = (long) (ttft * 1000);
            }
            metrics.completionToken(System.currentTimeMillis());
            listener.onToken(e);
        };
        Prompt prompt = Prompt.ids(request.promptIds());
        GenerationResult r = batcher == null
                ? request.model().generator().generate(prompt, request.config(), counted, cancel)
                : inBatch(prompt, counted);
        if (r.finishReason() == FinishReason.CANCELLED) {
            metrics.cancelled();
        }
        log.completionTokens = r.tokenIds().size();
        log.finish = r.finishReason().name().toLowerCase(Locale.ROOT);
        return r;
    }

    /** Runs the request as a row of the model's batch, handing its tokens to {@code listener} on this thread. */
    private GenerationResult inBatch(Prompt prompt, TokenListener listener) {
        BlockingQueue<TokenEvent> tokens = new LinkedBlockingQueue<>();
        CompletableFuture<GenerationResult> result = batcher.submit(prompt, request.config(), tokens::add, cancel);
        // every token is queued before the result completes, so the marker queued on completion
        // comes last and wakes this thread at once (polling would add up to a poll interval per request)
        result.whenComplete((r, failure) -> tokens.add(END_OF_ROW));
        try {
            for (TokenEvent e = tokens.take(); e != END_OF_ROW; e = tokens.take()) {
                listener.onToken(e);
            }
            return result.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel.cancel();
            return result.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        } catch (RuntimeException e) {
            cancel.cancel(); // our listener failed: the row must not run on without a reader
            throw e;
        }
    }

    private JsonObject chunk(JsonObject delta, JsonElement logprobs, String finishReason) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (request.chat()) {
            choice.add("delta", delta);
        } else {
            choice.add("text", delta.get("content"));
        }
        choice.add("logprobs", logprobs == null ? JsonNull.INSTANCE : logprobs);
        choice.addProperty("finish_reason", finishReason);
        JsonObject o = envelope(request.chat() ? "chat.completion.chunk" : "text_completion");
        JsonArray choices = new JsonArray();
        choices.add(choice);
        o.add("choices", choices);
        if (request.includeUsage()) {
            o.add("usage", JsonNull.INSTANCE);
        }
        return o;
    }

    private static JsonObject content(String text) {
        JsonObject delta = new JsonObject();
        delta.addProperty("content", text);
        return delta;
    }

    private JsonObject envelope(String object) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", object);
        o.addProperty("created", created);
        o.addProperty("model", request.model().id());
        return o;
    }

    private static JsonObject usage(GenerationResult r) {
        JsonObject u = new JsonObject();
        u.addProperty("prompt_tokens", r.promptTokenCount());
        u.addProperty("completion_tokens", r.tokenIds().size());
        u.addProperty("total_tokens", r.promptTokenCount() + r.tokenIds().size());
        return u;
    }

    /** OpenAI's two finish reasons, plus "cancelled" for a generation the server stopped. */
    static String finishReason(FinishReason reason) {
        switch (reason) {
            case EOS:
            case STOP_STRING:
                return "stop";
            case LENGTH:
            case CONTEXT_FULL:
                return "length";
            default:
                return "cancelled";
        }
    }

    /** The logprobs object: chat's {@code content} list, or the completions API's parallel arrays. */
    private JsonObject logprobs(List<LogprobScorer.Scored> scored) {
        JsonObject o = new JsonObject();
        if (request.chat()) {
            JsonArray content = new JsonArray();
            for (LogprobScorer.Scored s : scored) {
                JsonObject entry = tokenLogprob(s.tokenId(), s.logprob());
                JsonArray top = new JsonArray();
                s.top().forEach(a -> top.add(tokenLogprob(a.tokenId(), a.logprob())));
                entry.add("top_logprobs", top);
                content.add(entry);
            }
            o.add("content", content);
            o.add("refusal", JsonNull.INSTANCE);
            return o;
        }
        JsonArray tokens = new JsonArray();
        JsonArray tokenLogprobs = new JsonArray();
        JsonArray top = new JsonArray();
        for (LogprobScorer.Scored s : scored) {
            tokens.add(tokenText(s.tokenId()));
            tokenLogprobs.add(floor(s.logprob()));
            JsonObject alternatives = new JsonObject();
            s.top().forEach(a -> alternatives.addProperty(tokenText(a.tokenId()), floor(a.logprob())));
            top.add(alternatives);
        }
        o.add("tokens", tokens);
        o.add("token_logprobs", tokenLogprobs);
        o.add("top_logprobs", top);
        return o;
    }

    private JsonObject tokenLogprob(int tokenId, double logprob) {
        String text = tokenText(tokenId);
        JsonObject o = new JsonObject();
        o.addProperty("token", text);
        o.addProperty("logprob", floor(logprob));
        JsonArray bytes = new JsonArray();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        o.add("bytes", bytes);
        return o;
    }

    private String tokenText(int tokenId) {
        return tokenizer.decode(new int[] {tokenId}, false);
    }

    private static double floor(double logprob) {
        return Double.isFinite(logprob) ? Math.max(logprob, LOGPROB_FLOOR) : LOGPROB_FLOOR;
    }

    /** Server-sent events; the first failed write marks the client gone and cancels the generation. */
    private final class Events {
        private final OutputStream out;
        private boolean clientGone;

        Events(OutputStream out) {
            this.out = out;
        }

        void send(JsonObject data) {
            write("data: " + GSON.toJson(data) + "\n\n");
        }

        void done() {
            write("data: [DONE]\n\n");
            if (!clientGone) {
                try {
                    out.close();
                } catch (IOException e) {
                    clientGone = true;
                }
            }
            if (clientGone) {
                log.clientGone = true;
            }
        }

        private void write(String text) {
            if (clientGone) {
                return;
            }
            try {
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                clientGone = true;
                log.clientGone = true;
                cancel.cancel();
            }
        }
    }
}
