package dev.billionllm.core.io.safetensors;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.BillionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a safetensors file in the layout of the reference Rust crate: tensors ordered by element
 * size (largest first) then name, so that each one is aligned to its element size; the header padded
 * with spaces to a multiple of 8 bytes. The file appears atomically: it is written to a temporary
 * file in the same folder, flushed, then moved over the target.
 *
 * <p>Values are referenced, not copied, until {@link #write(Path)}, which converts them while
 * streaming, so a writer for a large model needs no second copy of its weights.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .metadata("format", "pt")
 *         .addFloats("model.norm.weight", DType.BF16, new long[] {2048}, normValues)
 *         .addLongs("input_ids", DType.I64, new long[] {1, 3}, new long[] {1, 15043, 29892})
 *         .write(folder.resolve("model.safetensors"));
 * }</pre>
 */
public final class SafetensorsWriter {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final int SCRATCH_BYTES = 1 << 16;

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** Bytes of one tensor, produced on demand into a little-endian scratch buffer. */
    private interface Payload {
        void writeTo(FileChannel out, ByteBuffer scratch) throws IOException;
    }

    private record Entry(String name, DType dtype, long[] shape, long byteLength, Payload payload) {}

    /** Adds a {@code __metadata__} entry ({@code "format": "pt"} is what PyTorch checkpoints carry). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(requireNonEmpty(key, "metadata key"), java.util.Objects.requireNonNull(value));
        return this;
    }

    /**
     * Adds a float tensor stored as {@code dtype} (F32, F16, BF16 or F64). F16 and BF16 round to
     * nearest even, as PyTorch's {@code .to()} does.
     *
     * @throws IllegalArgumentException for a bad name, a non-float dtype or a length that does not
     *     match the shape
     */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.F64) {
            throw new IllegalArgumentException("tensor " + name + ": " + dtype
                    + " is not a float dtype (F32, F16, BF16, F64)");
        }
        checkLength(name, shape, values.length);
        return add(name, dtype, shape, (out, scratch) -> {
            if (dtype == DType.F32) {
                // Bulk copy through a float view: per-element puts are several times slower.
                for (int i = 0; i < values.length; ) {
                    if (scratch.remaining() < Float.BYTES) {
                        drain(out, scratch);
                    }
                    int n = Math.min(values.length - i, scratch.remaining() / Float.BYTES);
                    scratch.asFloatBuffer().put(values, i, n);
                    scratch.position(scratch.position() + n * Float.BYTES);
                    i += n;
                }
                return;
            }
            for (float v : values) {
                if (scratch.remaining() < dtype.bytes()) {
                    drain(out, scratch);
                }
                switch (dtype) {
                    case F32 -> scratch.putFloat(v);
                    case F16 -> scratch.putShort(FloatConversions.floatToHalf(v));
                    case BF16 -> scratch.putShort(FloatConversions.floatToBf16(v));
                    default -> scratch.putDouble(v);
                }
            }
        });
    }

    /**
     * Adds an integer tensor stored as {@code dtype} (I64, I32, I16, I8 or U8).
     *
     * @throws IllegalArgumentException for a bad name, a non-integer dtype, a value out of the
     *     dtype's range or a length that does not match the shape
     */
    public SafetensorsWriter addLongs(String name, DType dtype, long[] shape, long[] values) {
        long min;
        long max;
        switch (dtype) {
            case I64 -> { min = Long.MIN_VALUE; max = Long.MAX_VALUE; }
            case I32 -> { min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; }
            case I16 -> { min = Short.MIN_VALUE; max = Short.MAX_VALUE; }
            case I8 -> { min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; }
            case U8 -> { min = 0; max = 255; }
            default -> throw new IllegalArgumentException("tensor " + name + ": " + dtype
                    + " is not an integer dtype (I64, I32, I16, I8, U8)");
        }
        checkLength(name, shape, values.length);
        for (int i = 0; i < values.length; i++) {
            if (values[i] < min || values[i] > max) {
                throw new IllegalArgumentException("tensor " + name + ": value " + values[i]
                        + " at index " + i + " does not fit in " + dtype);
            }
        }
        return add(name, dtype, shape, (out, scratch) -> {
            for (long v : values) {
                if (scratch.remaining() < dtype.bytes()) {
                    drain(out, scratch);
                }
                switch (dtype) {
                    case I64 -> scratch.putLong(v);
                    case I32 -> scratch.putInt((int) v);
                    case I16 -> scratch.putShort((short) v);
                    default -> scratch.put((byte) v);
                }
            }
        });
    }

    /** Adds an I32 tensor. */
    public SafetensorsWriter addInts(String name, long[] shape, int[] values) {
        return addLongs(name, DType.I32, shape, Arrays.stream(values).asLongStream().toArray());
    }

    /** Adds a BOOL tensor (one byte per element, 0 or 1). */
    public SafetensorsWriter addBooleans(String name, long[] shape, boolean[] values) {
        checkLength(name, shape, values.length);
        byte[] raw = new byte[values.length];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (values[i] ? 1 : 0);
        }
        return addRaw(name, DType.BOOL, shape, ByteBuffer.wrap(raw));
    }

    /**
     * Adds a tensor from its raw little-endian bytes (the remaining bytes of {@code data}, which
     * must not change before {@link #write}); for instance a tensor copied unchanged from a
     * {@link SafetensorsSource#buffer}.
     */
    public SafetensorsWriter addRaw(String name, DType dtype, long[] shape, ByteBuffer data) {
        long bytes = checkShape(name, shape) * dtype.bytes();
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("tensor " + name + ": shape "
                    + Arrays.toString(shape) + " x " + dtype + " needs " + bytes
                    + " bytes, the buffer has " + data.remaining());
        }
        ByteBuffer view = data.duplicate();
        return add(name, dtype, shape, (out, scratch) -> {
            drain(out, scratch);
            ByteBuffer b = view.duplicate();
            while (b.hasRemaining()) {
                out.write(b);
            }
        });
    }

    /** Copies a tensor of another source unchanged (same dtype, shape and bytes). */
    public SafetensorsWriter copyFrom(SafetensorsSource source, String name) {
        TensorInfo info = source.info(name);
        return addRaw(name, info.dtype(), info.shape(), source.buffer(name));
    }

    /** Total data bytes of the tensors added so far (the file adds the header). */
    public long dataBytes() {
        return entries.values().stream().mapToLong(Entry::byteLength).sum();
    }

    /**
     * Writes the file atomically (temp file in the same folder, then an atomic move).
     *
     * @throws BillionException if the file cannot be written (the target is left untouched)
     */
    public void write(Path file) {
        List<Entry> ordered = new ArrayList<>(entries.values());
        // Largest element size first: with an 8-aligned data start, every tensor is then aligned.
        ordered.sort(Comparator.comparingInt((Entry e) -> -e.dtype().bytes())
                .thenComparing(Entry::name));
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add(SafetensorsHeader.METADATA_KEY, meta);
        }
        long offset = 0;
        for (Entry e : ordered) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.dtype().name());
            JsonArray shape = new JsonArray();
            Arrays.stream(e.shape()).forEach(shape::add);
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + e.byteLength());
            t.add("data_offsets", offsets);
            header.add(e.name(), t);
            offset += e.byteLength();
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        writeAtomically(file, out -> {
            while (head.hasRemaining()) {
                out.write(head);
            }
            ByteBuffer scratch = ByteBuffer.allocate(SCRATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : ordered) {
                e.payload().writeTo(out, scratch);
            }
            drain(out, scratch);
        });
    }

    /**
     * Writes a {@code model.safetensors.index.json} for shards written separately.
     *
     * @param indexFile the index path (shards are named relative to its folder)
     * @param weightMap tensor name to shard file name
     * @param totalSize the {@code metadata.total_size} in bytes (sum of tensor data)
     */
    public static void writeIndex(Path indexFile, Map<String, String> weightMap, long totalSize) {
        JsonObject root = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("total_size", totalSize);
        root.add("metadata", meta);
        JsonObject map = new JsonObject();
        new TreeMap<>(weightMap).forEach(map::addProperty);
        root.add("weight_map", map);
        byte[] json = new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create()
                .toJson(root).getBytes(StandardCharsets.UTF_8);
        writeAtomically(indexFile, out -> {
            ByteBuffer b = ByteBuffer.wrap(json);
            while (b.hasRemaining()) {
                out.write(b);
            }
        });
    }

    private interface ChannelWriter {
        void write(FileChannel out) throws IOException;
    }

    /** Temp file beside the target, fsync, atomic rename: readers never see a partial file. */
    static void writeAtomically(Path file, ChannelWriter writer) {
        Path target = file.toAbsolutePath();
        Path temp = null;
        try {
            temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(out);
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (IOException e) {
            throw new BillionException(file + ": cannot write: " + e, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The original error matters more than a leftover temp file.
                }
            }
        }
    }

    private SafetensorsWriter add(String name, DType dtype, long[] shape, Payload payload) {
        requireNonEmpty(name, "tensor name");
        if (SafetensorsHeader.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException("\"" + name + "\" is reserved for metadata");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor " + name + " was already added");
        }
        long elements = checkShape(name, shape);
        entries.put(name, new Entry(name, dtype, shape.clone(), elements * dtype.bytes(), payload));
        return this;
    }

    private static void drain(FileChannel out, ByteBuffer scratch) throws IOException {
        scratch.flip();
        while (scratch.hasRemaining()) {
            out.write(scratch);
        }
        scratch.clear();
    }

    private static long checkShape(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + ": negative dimension in "
                        + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void checkLength(String name, long[] shape, int length) {
        long n = checkShape(name, shape);
        if (n != length) {
            throw new IllegalArgumentException("tensor " + name + ": shape "
                    + Arrays.toString(shape) + " has " + n + " elements, but " + length
                    + " values were given");
        }
    }

    private static String requireNonEmpty(String s, String what) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return s;
    }
}
