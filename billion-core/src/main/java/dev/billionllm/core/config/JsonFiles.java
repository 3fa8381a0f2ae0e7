package dev.billionllm.core.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.ToNumberPolicy;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.billionllm.core.ConfigException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the JSON files of a model folder (config.json, tokenizer_config.json,
 * generation_config.json, tokenizer.json) the same strict way, since they come from a downloaded
 * repository: the size is bounded before reading, the text must be UTF-8, a key given twice in
 * one object is an error (Python's json keeps the last silently, so the file means something other
 * than it seems to), and errors name the file and position without Gson's troubleshooting links.
 *
 * <pre>{@code
 * JsonObject config = JsonFiles.readObject(folder.resolve("config.json"));
 * }</pre>
 */
public final class JsonFiles {

    /** Largest JSON file read: tokenizer.json of large vocabularies is tens of MB. */
    public static final long MAX_BYTES = 512L << 20;

    private JsonFiles() {}

    /**
     * The top-level object of {@code file}.
     *
     * @throws ConfigException naming the file if it is missing, too large, not UTF-8, not JSON, not
     *     an object, or has a duplicate key
     */
    public static JsonObject readObject(Path file) {
        return parseObject(readText(file, MAX_BYTES), file.toString());
    }

    /**
     * The top-level object of JSON text already read with {@link #readText} (for a caller that
     * also needs the text itself, so the file is read once).
     *
     * @param source the file name for error messages
     * @throws ConfigException naming {@code source} if the text is not JSON, not an object, or has a
     *     duplicate key
     */
    public static JsonObject parseObject(String text, String source) {
        JsonElement root = parse(text, source);
        if (!root.isJsonObject()) {
            throw new ConfigException(source + ": expected a JSON object at the top level, found "
                    + (root.isJsonArray() ? "an array" : root.isJsonNull() ? "null" : "a " + root.getClass()
                            .getSimpleName().replace("Json", "").toLowerCase(java.util.Locale.ROOT)));
        }
        return root.getAsJsonObject();
    }

    /**
     * The UTF-8 text of {@code file}, refused before reading when over {@code maxBytes}.
     *
     * @throws ConfigException naming the file
     */
    public static String readText(Path file, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new ConfigException(file + ": " + size + " bytes, over the limit of " + maxBytes + " bytes");
            }
            byte[] bytes = Files.readAllBytes(file);
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found");
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": not UTF-8 text (" + e.getClass().getSimpleName() + ")");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Parses JSON text, rejecting duplicate keys.
     *
     * @param source the file name for error messages
     */
    public static JsonElement parse(String text, String source) {
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.LEGACY_STRICT);
            JsonElement root = read(reader, source);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new ConfigException(source + ": invalid JSON: more data after the top-level value at "
                        + position(reader));
            }
            return root;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException(source + ": invalid JSON: " + withoutAdvice(e.getMessage()), e);
        } catch (OutOfMemoryError | StackOverflowError e) {
            throw new ConfigException(source + ": too large or too deeply nested to parse (" + e + ")");
        }
    }

    // Recursion depth is bounded by JsonReader's nesting limit (255 by default).
    private static JsonElement read(JsonReader reader, String source) throws IOException {
        switch (reader.peek()) {
            case BEGIN_OBJECT: {
                JsonObject o = new JsonObject();
                reader.beginObject();
                while (reader.hasNext()) {
                    String where = position(reader);
                    String key = reader.nextName();
                    if (o.has(key)) {
                        throw new ConfigException(source + ": key \"" + key + "\" appears twice in one object "
                                + where + "; remove one (which one is meant is ambiguous)");
                    }
                    o.add(key, read(reader, source));
                }
                reader.endObject();
                return o;
            }
            case BEGIN_ARRAY: {
                JsonArray a = new JsonArray();
                reader.beginArray();
                while (reader.hasNext()) {
                    a.add(read(reader, source));
                }
                reader.endArray();
                return a;
            }
            case STRING:
                return new JsonPrimitive(reader.nextString());
            case NUMBER:
                return new JsonPrimitive(ToNumberPolicy.LAZILY_PARSED_NUMBER.readNumber(reader)); // keeps the text
            case BOOLEAN:
                return new JsonPrimitive(reader.nextBoolean());
            case NULL:
                reader.nextNull();
                return JsonNull.INSTANCE;
            default:
                throw new ConfigException(source + ": invalid JSON: unexpected " + reader.peek() + " at "
                        + position(reader));
        }
    }

    private static String position(JsonReader reader) {
        String s = reader.toString(); // "JsonReader at line 3 column 5 path $.x"
        int at = s.indexOf(" at ");
        return at < 0 ? "" : s.substring(at + 4);
    }

    /** Gson's messages end with a link to its troubleshooting guide, which is no help to our users. */
    static String withoutAdvice(String message) {
        if (message == null) {
            return "malformed";
        }
        int see = message.indexOf("\nSee https://github.com/google/gson");
        return see < 0 ? message : message.substring(0, see);
    }
}
