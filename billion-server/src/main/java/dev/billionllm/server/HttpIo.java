package dev.billionllm.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reading request bodies within bounds and writing JSON and text responses. */
final class HttpIo {
    /** Deepest JSON nesting accepted; OpenAI requests need about 5, and deep nesting costs stack. */
    static final int MAX_JSON_NESTING = 64;
    /** A too-large body is read and dropped up to this many times the limit before the connection is cut. */
    private static final long DRAIN_LIMIT_FACTOR = 4;

    private HttpIo() {}

    /**
     * The body as one JSON object: at most {@code limit} bytes, strict UTF-8, strict JSON.
     *
     * @throws ApiError 413 for a larger body, 400 for bytes that are not UTF-8 or text that is not
     *     one JSON object
     */
    static JsonObject readJsonObject(HttpExchange exchange, long limit) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        long length;
        try {
            length = declared == null ? -1 : Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            throw ApiError.badBody("Content-Length is not a number: " + declared);
        }
        if (length > limit) {
            // a client that is still sending may miss the answer if we close on it; read a bounded
            // amount more so ordinary clients see the 413, then give up on the connection
            drain(exchange.getRequestBody(), Math.min(length, DRAIN_LIMIT_FACTOR * limit));
            throw ApiError.tooLarge(limit);
        }
        byte[] bytes = readAtMost(exchange.getRequestBody(), limit);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiError.badBody("The request body is not valid UTF-8");
        }
        if (text.isBlank()) {
            throw ApiError.badBody("The request body is empty; send a JSON object");
        }
        JsonElement root;
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            reader.setNestingLimit(MAX_JSON_NESTING);
            root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw ApiError.badBody("The request body holds text after the JSON value");
            }
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw ApiError.badBody("The request body is not valid JSON: " + describe(e));
        }
        if (!root.isJsonObject()) {
            throw ApiError.badBody("The request body must be a JSON object, got " + (root.isJsonArray() ? "an array" : root));
        }
        return root.getAsJsonObject();
    }

    private static String describe(Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        // gson appends a link to its troubleshooting guide, which is noise for an API client
        int see = m.indexOf("\nSee ");
        m = see > 0 ? m.substring(0, see) : m;
        // and its advice names a Java API; say what is wrong with the text instead
        m = m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON");
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }

    private static byte[] readAtMost(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > limit) {
                drain(in, (DRAIN_LIMIT_FACTOR - 1) * limit);
                throw ApiError.tooLarge(limit);
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static void drain(InputStream in, long atMost) throws IOException {
        byte[] buffer = new byte[8192];
        long total = 0;
        int n;
        while (total < atMost && (n = in.read(buffer, 0, (int) Math.min(buffer.length, atMost - total))) > 0) {
            total += n;
        }
    }

    static void sendJson(HttpExchange exchange, int status, JsonObject body) throws IOException {
        send(exchange, status, "application/json", CompletionResponder.GSON.toJson(body));
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
