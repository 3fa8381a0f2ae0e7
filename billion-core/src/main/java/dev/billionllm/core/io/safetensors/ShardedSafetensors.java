package dev.billionllm.core.io.safetensors;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A checkpoint split into shards by a {@code model.safetensors.index.json}, whose
 * {@code weight_map} names the shard of every tensor. Opening checks that every shard exists and
 * holds the tensors mapped to it, so a broken download fails at load time with the shard's name.
 *
 * <pre>{@code
 * try (ShardedSafetensors weights = ShardedSafetensors.open(folder.resolve("model.safetensors.index.json"))) {
 *     float[] q = weights.floats("model.layers.0.self_attn.q_proj.weight");
 * }
 * }</pre>
 */
public final class ShardedSafetensors implements SafetensorsSource {

    /** The index file name Hugging Face writes for sharded safetensors checkpoints. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path index;
    private final Map<String, SafetensorsFile> shardOf;
    private final List<SafetensorsFile> shards;
    private final Map<String, String> metadata;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> shardOf,
            List<SafetensorsFile> shards, Map<String, String> metadata) {
        this.index = index;
        this.shardOf = Collections.unmodifiableMap(shardOf);
        this.shards = List.copyOf(shards);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens an index and all its shards (resolved beside the index).
     *
     * @throws WeightLoadException if the index is malformed, a shard is missing or malformed, or
     *     a shard lacks a tensor the index maps to it
     */
    public static ShardedSafetensors open(Path indexFile) {
        String file = indexFile.toString();
        JsonObject root = readIndex(indexFile);
        JsonElement weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isJsonObject()) {
            throw SafetensorsHeader.fail(file, "\"weight_map\" must be an object of tensor name "
                    + "to shard file, found " + (weightMap == null ? "nothing" : weightMap));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        JsonElement meta = root.get("metadata");
        if (meta != null && meta.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : meta.getAsJsonObject().entrySet()) {
                JsonElement v = e.getValue();
                metadata.put(e.getKey(), v.isJsonPrimitive() ? v.getAsString() : v.toString());
            }
        }
        Path folder = indexFile.toAbsolutePath().getParent();
        Map<String, String> shardNameOf = new LinkedHashMap<>();
        Map<String, List<String>> tensorsOfShard = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : weightMap.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw SafetensorsHeader.fail(file, "weight_map[\"" + e.getKey()
                        + "\"] must be a shard file name, found " + v);
            }
            String shard = v.getAsString();
            Path resolved = folder.resolve(shard).normalize();
            // A shard outside the model folder would let an index read arbitrary files.
            if (shard.isEmpty() || !Objects.equals(resolved.getParent(), folder.normalize())) {
                throw SafetensorsHeader.fail(file, "weight_map[\"" + e.getKey() + "\"] = \""
                        + shard + "\" is not a file name in the index's folder");
            }
            shardNameOf.put(e.getKey(), shard);
            tensorsOfShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
        }
        if (shardNameOf.isEmpty()) {
            throw SafetensorsHeader.fail(file, "\"weight_map\" is empty");
        }
        List<String> missingShards = tensorsOfShard.keySet().stream()
                .filter(s -> !Files.isRegularFile(folder.resolve(s)))
                .toList();
        if (!missingShards.isEmpty()) {
            throw SafetensorsHeader.fail(file, "shard files missing from " + folder + ": "
                    + missingShards + " (incomplete download?)");
        }
        Map<String, SafetensorsFile> openShards = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, List<String>> e : tensorsOfShard.entrySet()) {
                SafetensorsFile shard = SafetensorsFile.open(folder.resolve(e.getKey()));
                openShards.put(e.getKey(), shard);
                for (String name : e.getValue()) {
                    if (!shard.contains(name)) {
                        throw SafetensorsHeader.fail(shard.path().toString(), "the index "
                                + indexFile.getFileName() + " maps tensor \"" + name
                                + "\" to this shard, but it is not in it");
                    }
                }
            }
        } catch (RuntimeException e) {
            openShards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
        shardNameOf.forEach((name, shard) -> shardOf.put(name, openShards.get(shard)));
        return new ShardedSafetensors(indexFile, shardOf, new ArrayList<>(openShards.values()),
                metadata);
    }

    private static JsonObject readIndex(Path indexFile) {
        String file = indexFile.toString();
        String text;
        try {
            text = Files.readString(indexFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw SafetensorsHeader.fail(file, "file not found");
        } catch (IOException e) {
            throw new WeightLoadException(file + ": cannot read: " + e, e);
        }
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = new Gson().getAdapter(JsonElement.class).read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw SafetensorsHeader.fail(file, "invalid JSON: data after the top-level value");
            }
            if (!root.isJsonObject()) {
                throw SafetensorsHeader.fail(file, "must be a JSON object, found " + root);
            }
            return root.getAsJsonObject();
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new WeightLoadException(file + ": invalid JSON: " + SafetensorsHeader.jsonProblem(e), e);
        }
    }

    /** The index file. */
    public Path index() {
        return index;
    }

    /** The shard holding a tensor. */
    public SafetensorsFile shardOf(String name) {
        SafetensorsFile shard = shardOf.get(name);
        if (shard == null) {
            throw SafetensorsFile.missing(index.toString(), name, shardOf.keySet());
        }
        return shard;
    }

    /** The open shards, in file-name order. */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensors of the weight map (tensors a shard holds beyond it are not exposed). */
    @Override
    public Set<String> names() {
        return shardOf.keySet();
    }

    @Override
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return shardOf(name).info(name);
    }

    @Override
    public float[] floats(String name) {
        return shardOf(name).floats(name);
    }

    @Override
    public void readFloats(String name, FloatBuffer dst) {
        shardOf(name).readFloats(name, dst);
    }

    @Override
    public ByteBuffer buffer(String name) {
        return shardOf(name).buffer(name);
    }

    @Override
    public ByteBuffer floatBuffer(String name) {
        return shardOf(name).floatBuffer(name);
    }

    @Override
    public long[] longs(String name) {
        return shardOf(name).longs(name);
    }

    @Override
    public int[] ints(String name) {
        return shardOf(name).ints(name);
    }

    @Override
    public byte[] bytes(String name) {
        return shardOf(name).bytes(name);
    }

    @Override
    public boolean[] booleans(String name) {
        return shardOf(name).booleans(name);
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "ShardedSafetensors[" + index + ", " + shards.size() + " shards, "
                + shardOf.size() + " tensors]";
    }
}
