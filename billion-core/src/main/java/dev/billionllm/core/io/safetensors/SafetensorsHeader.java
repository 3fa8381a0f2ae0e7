package dev.billionllm.core.io.safetensors;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of one safetensors file. Parsing is strict (a streaming
 * reader, not a lenient tree) so that duplicate keys, fractional or negative numbers and trailing
 * garbage are rejected instead of silently resolved.
 *
 * @param tensors tensors in header order
 * @param metadata the {@code __metadata__} string map (empty if absent)
 */
record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {

    /** The Rust crate refuses headers above 100 MB; so do we, before allocating anything. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    SafetensorsHeader {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * Parses and validates a header.
     *
     * @param file the file name used in error messages
     * @param json the header bytes (without the 8-byte length)
     * @param dataSize bytes available after the header; every span must end within it
     */
    static SafetensorsHeader parse(String file, ByteBuffer json, long dataSize) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(json)
                    .toString();
        } catch (CharacterCodingException e) {
            throw fail(file, "header is not valid UTF-8 (" + e + ")");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            expect(file, reader, JsonToken.BEGIN_OBJECT, "the header");
            reader.beginObject();
            boolean sawMetadata = false;
            while (reader.hasNext()) {
                String name = reader.nextName();
                if (METADATA_KEY.equals(name)) {
                    if (sawMetadata) {
                        throw fail(file, "duplicate key \"" + METADATA_KEY + "\" in the header");
                    }
                    sawMetadata = true;
                    readMetadata(file, reader, metadata);
                } else {
                    if (tensors.containsKey(name)) {
                        throw fail(file, "duplicate tensor \"" + name + "\" in the header");
                    }
                    tensors.put(name, readTensor(file, reader, name));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw fail(file, "invalid JSON header: unexpected data after the top-level object");
            }
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            // MalformedJsonException and nesting-limit errors are IOExceptions; wrong token types
            // are IllegalStateException; an integer overflow is NumberFormatException.
            throw new WeightLoadException(file + ": invalid JSON header: " + jsonProblem(e), e);
        }
        checkSpans(file, tensors, dataSize);
        return new SafetensorsHeader(tensors, metadata);
    }

    private static void readMetadata(String file, JsonReader reader, Map<String, String> out)
            throws IOException {
        expect(file, reader, JsonToken.BEGIN_OBJECT, "\"" + METADATA_KEY + "\"");
        reader.beginObject();
        while (reader.hasNext()) {
            String key = reader.nextName();
            if (reader.peek() != JsonToken.STRING) {
                throw fail(file, "\"" + METADATA_KEY + "\"." + key + " must be a string, found "
                        + reader.peek());
            }
            if (out.put(key, reader.nextString()) != null) {
                throw fail(file, "duplicate key \"" + key + "\" in \"" + METADATA_KEY + "\"");
            }
        }
        reader.endObject();
    }

    private static TensorInfo readTensor(String file, JsonReader reader, String name)
            throws IOException {
        String where = "tensor \"" + name + "\"";
        expect(file, reader, JsonToken.BEGIN_OBJECT, where);
        reader.beginObject();
        String dtypeName = null;
        long[] shape = null;
        long[] offsets = null;
        while (reader.hasNext()) {
            String key = reader.nextName();
            switch (key) {
                case "dtype" -> {
                    if (dtypeName != null) {
                        throw fail(file, where + " has a duplicate \"dtype\"");
                    }
                    expect(file, reader, JsonToken.STRING, where + " dtype");
                    dtypeName = reader.nextString();
                }
                case "shape" -> {
                    if (shape != null) {
                        throw fail(file, where + " has a duplicate \"shape\"");
                    }
                    shape = readLongs(file, reader, where + " shape");
                }
                case "data_offsets" -> {
                    if (offsets != null) {
                        throw fail(file, where + " has a duplicate \"data_offsets\"");
                    }
                    offsets = readLongs(file, reader, where + " data_offsets");
                }
                // Like the reference implementation, ignore keys it does not know.
                default -> reader.skipValue();
            }
        }
        reader.endObject();
        if (dtypeName == null || shape == null || offsets == null) {
            throw fail(file, where + " lacks " + (dtypeName == null ? "\"dtype\""
                    : shape == null ? "\"shape\"" : "\"data_offsets\""));
        }
        DType dtype = DType.fromHeader(dtypeName);
        if (dtype == null) {
            throw fail(file, where + " has unknown dtype \"" + dtypeName + "\" (supported: "
                    + java.util.Arrays.toString(DType.values()) + ")");
        }
        if (offsets.length != 2) {
            throw fail(file, where + " data_offsets must be [begin, end], found "
                    + offsets.length + " numbers");
        }
        if (offsets[1] < offsets[0]) {
            throw fail(file, where + " data_offsets end " + offsets[1] + " is before begin "
                    + offsets[0]);
        }
        long elements = 1;
        long bytes;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            bytes = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException e) {
            throw fail(file, where + " shape " + java.util.Arrays.toString(shape)
                    + " overflows a 64-bit byte count");
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw fail(file, where + " shape " + java.util.Arrays.toString(shape) + " x " + dtype
                    + " needs " + bytes + " bytes but data_offsets [" + offsets[0] + ", "
                    + offsets[1] + "] span " + (offsets[1] - offsets[0]) + " bytes");
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] readLongs(String file, JsonReader reader, String where)
            throws IOException {
        expect(file, reader, JsonToken.BEGIN_ARRAY, where);
        reader.beginArray();
        List<Long> values = new ArrayList<>();
        while (reader.hasNext()) {
            // Checked first: nextLong() would also accept a quoted string.
            expect(file, reader, JsonToken.NUMBER, where + " element");
            long v = reader.nextLong();
            if (v < 0) {
                throw fail(file, where + " has a negative value " + v);
            }
            values.add(v);
        }
        reader.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** Spans sorted by begin must not overlap and must end within the data area. */
    private static void checkSpans(String file, Map<String, TensorInfo> tensors, long dataSize) {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.end() > dataSize) {
                throw fail(file, "tensor \"" + t.name() + "\" data_offsets [" + t.begin() + ", "
                        + t.end() + "] end past the data area of " + dataSize
                        + " bytes (truncated file or out-of-range span)");
            }
            if (previous != null && t.begin() < previous.end()) {
                throw fail(file, "tensors \"" + previous.name() + "\" [" + previous.begin() + ", "
                        + previous.end() + "] and \"" + t.name() + "\" [" + t.begin() + ", "
                        + t.end() + "] overlap");
            }
            previous = t;
        }
    }

    private static void expect(String file, JsonReader reader, JsonToken token, String where)
            throws IOException {
        JsonToken found = reader.peek();
        if (found != token) {
            throw fail(file, "invalid JSON header: " + where + " must be " + describe(token)
                    + ", found " + describe(found));
        }
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case BEGIN_OBJECT -> "an object";
            case BEGIN_ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case END_DOCUMENT -> "the end of the header";
            default -> token.toString();
        };
    }

    /** Gson's message without its advice to go lenient and its troubleshooting link. */
    static String jsonProblem(Exception e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        return message.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept ", "");
    }

    static WeightLoadException fail(String file, String problem) {
        return new WeightLoadException(file + ": " + problem);
    }
}
