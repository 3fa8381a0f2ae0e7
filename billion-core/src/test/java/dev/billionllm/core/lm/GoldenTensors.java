package dev.billionllm.core.lm;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the F32 and I64 tensors of a fixture's golden.safetensors. Kept test-only and minimal on
 * purpose: the goldens must not depend on the production safetensors reader they help verify.
 */
final class GoldenTensors {

    private final ByteBuffer data;
    private final JsonObject header;

    private GoldenTensors(ByteBuffer data, JsonObject header) {
        this.data = data;
        this.header = header;
    }

    static GoldenTensors read(Path file) {
        try {
            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int n = Math.toIntExact(all.getLong(0));
            JsonObject header = JsonParser.parseString(
                    new String(all.array(), 8, n, StandardCharsets.UTF_8)).getAsJsonObject();
            ByteBuffer data = all.position(8 + n).slice().order(ByteOrder.LITTLE_ENDIAN);
            return new GoldenTensors(data, header);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int[] shape(String name) {
        var a = entry(name).getAsJsonArray("shape");
        int[] s = new int[a.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.get(i).getAsInt();
        }
        return s;
    }

    float[] floats(String name) {
        JsonObject e = entry(name);
        check(e, name, "F32");
        int begin = begin(e);
        int count = (end(e) - begin) / 4;
        float[] out = new float[count];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(begin).slice().order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer().get(out);
        return out;
    }

    int[] ints(String name) {
        JsonObject e = entry(name);
        check(e, name, "I64");
        int begin = begin(e);
        int count = (end(e) - begin) / 8;
        int[] out = new int[count];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            out[i] = Math.toIntExact(b.getLong(begin + 8 * i));
        }
        return out;
    }

    /** A 2-D I64 tensor as rows. */
    int[][] intRows(String name) {
        int[] s = shape(name);
        int[] flat = ints(name);
        int[][] rows = new int[s[0]][s[1]];
        for (int r = 0; r < s[0]; r++) {
            System.arraycopy(flat, r * s[1], rows[r], 0, s[1]);
        }
        return rows;
    }

    private JsonObject entry(String name) {
        JsonElement e = header.get(name);
        if (e == null) {
            throw new IllegalArgumentException("golden tensor " + name + " not found; have " + header.keySet());
        }
        return e.getAsJsonObject();
    }

    private static void check(JsonObject e, String name, String dtype) {
        String actual = e.get("dtype").getAsString();
        if (!actual.equals(dtype)) {
            throw new IllegalArgumentException(name + " is " + actual + ", expected " + dtype);
        }
    }

    private static int begin(JsonObject e) {
        return e.getAsJsonArray("data_offsets").get(0).getAsInt();
    }

    private static int end(JsonObject e) {
        return e.getAsJsonArray("data_offsets").get(1).getAsInt();
    }
}
