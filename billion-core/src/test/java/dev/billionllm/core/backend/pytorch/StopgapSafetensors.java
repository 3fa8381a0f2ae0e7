package dev.billionllm.core.backend.pytorch;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Test-only stand-in for the safetensors reader (developed on another branch): reads a whole small
 * file into memory. Enough for the tiny fixtures and golden files; not for real checkpoints.
 */
final class StopgapSafetensors implements TensorSource {
    private final Map<String, TensorInfo> infos = new LinkedHashMap<>();
    private final ByteBuffer data;

    StopgapSafetensors(Path file) {
        try {
            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int headerLen = Math.toIntExact(all.getLong(0));
            String header = new String(all.array(), 8, headerLen, StandardCharsets.UTF_8);
            JsonObject json = JsonParser.parseString(header).getAsJsonObject();
            for (Map.Entry<String, JsonElement> e : json.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonObject t = e.getValue().getAsJsonObject();
                long[] shape = new long[t.getAsJsonArray("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = t.getAsJsonArray("shape").get(i).getAsLong();
                }
                long begin = t.getAsJsonArray("data_offsets").get(0).getAsLong();
                long end = t.getAsJsonArray("data_offsets").get(1).getAsLong();
                infos.put(e.getKey(), new TensorInfo(e.getKey(), DType.fromHeader(t.get("dtype").getAsString()),
                        shape, begin, end));
            }
            data = all.position(8 + headerLen).slice().order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Set<String> names() {
        return infos.keySet();
    }

    @Override
    public boolean contains(String name) {
        return infos.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = infos.get(name);
        if (info == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return info;
    }

    @Override
    public float[] floats(String name) {
        TensorInfo info = info(name);
        int n = Math.toIntExact(info.elementCount());
        float[] out = new float[n];
        int base = (int) info.begin();
        for (int i = 0; i < n; i++) {
            switch (info.dtype()) {
                case F32:
                    out[i] = data.getFloat(base + 4 * i);
                    break;
                case BF16:
                    out[i] = Float.intBitsToFloat((data.getShort(base + 2 * i) & 0xffff) << 16);
                    break;
                default:
                    throw new IllegalArgumentException(name + " is " + info.dtype());
            }
        }
        return out;
    }

    long[] longs(String name) {
        TensorInfo info = info(name);
        long[] out = new long[Math.toIntExact(info.elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.getLong((int) info.begin() + 8 * i);
        }
        return out;
    }

    @Override
    public void close() {}
}
