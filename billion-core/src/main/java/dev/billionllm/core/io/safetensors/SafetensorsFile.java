package dev.billionllm.core.io.safetensors;

import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file. The header is validated completely when the file is opened; tensor data is
 * memory-mapped one tensor at a time, at 64-bit offsets, so files larger than 2 GB work and only
 * the tensors asked for are paged in.
 *
 * <pre>{@code
 * try (SafetensorsFile file = SafetensorsFile.open(Path.of("model.safetensors"))) {
 *     TensorInfo info = file.info("model.norm.weight");
 *     float[] values = file.floats("model.norm.weight");
 * }
 * }</pre>
 */
public final class SafetensorsFile implements SafetensorsSource {

    /** Largest span mapped at once while converting: a multiple of every dtype size. */
    private static final long MAX_CHUNK = 1L << 30;

    /** Floats converted per step into a scratch array before a bulk put. */
    private static final int SCRATCH = 8192;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafetensorsHeader header;
    private final long maxChunk;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, SafetensorsHeader header,
            long maxChunk) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
        this.maxChunk = maxChunk;
    }

    /**
     * Opens and validates a file.
     *
     * @throws WeightLoadException if the file is missing, unreadable or malformed (the message
     *     names the file and the problem)
     */
    public static SafetensorsFile open(Path path) {
        return open(path, MAX_CHUNK);
    }

    /** Opens with a smaller conversion chunk (a multiple of 8), so tests reach chunk boundaries. */
    static SafetensorsFile open(Path path, long maxChunk) {
        if (maxChunk <= 0 || maxChunk % 8 != 0 || maxChunk > MAX_CHUNK) {
            throw new IllegalArgumentException("maxChunk must be a positive multiple of 8 up to "
                    + MAX_CHUNK + ": " + maxChunk);
        }
        String file = path.toString();
        if (Files.isDirectory(path)) {
            throw SafetensorsHeader.fail(file, "is a directory, not a safetensors file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw SafetensorsHeader.fail(file, "file not found");
        } catch (IOException e) {
            throw new WeightLoadException(file + ": cannot open: " + e, e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw SafetensorsHeader.fail(file, "truncated: " + size
                        + " bytes, less than the 8-byte header length");
            }
            ByteBuffer prefix = readFully(channel, 0, 8);
            long headerLength = prefix.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            // Unsigned compare: a "negative" length is a huge u64, equally past the end.
            if (Long.compareUnsigned(headerLength, size - 8) > 0) {
                throw SafetensorsHeader.fail(file, "header length "
                        + Long.toUnsignedString(headerLength) + " is past the end of the file ("
                        + size + " bytes): truncated or not a safetensors file");
            }
            if (headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw SafetensorsHeader.fail(file, "header length " + headerLength
                        + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes");
            }
            ByteBuffer json = readFully(channel, 8, (int) headerLength);
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, size - dataStart);
            return new SafetensorsFile(path, channel, dataStart, header, maxChunk);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new WeightLoadException(file + ": cannot read the header: " + e, e);
        } catch (RuntimeException | Error e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at byte "
                        + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already failing with a more useful error.
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** Absolute offset of the data area (8 + header length); tensor offsets are relative to it. */
    public long dataStart() {
        return dataStart;
    }

    /** All tensors in header order. */
    public List<TensorInfo> tensors() {
        return List.copyOf(header.tensors().values());
    }

    @Override
    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public Set<String> names() {
        return header.tensors().keySet();
    }

    @Override
    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw missing(path.toString(), name, names());
        }
        return info;
    }

    @Override
    public ByteBuffer buffer(String name) {
        TensorInfo t = info(name);
        long length = t.end() - t.begin();
        if (length > Integer.MAX_VALUE) {
            throw fail(t, length + " bytes exceed the 2 GB limit of one ByteBuffer; "
                    + "use readFloats or floatBuffer, which map it in chunks");
        }
        return map(t.begin(), length);
    }

    @Override
    public float[] floats(String name) {
        TensorInfo t = info(name);
        float[] out = new float[arrayLength(t)];
        readFloats(name, FloatBuffer.wrap(out));
        return out;
    }

    @Override
    public ByteBuffer floatBuffer(String name) {
        TensorInfo t = info(name);
        long bytes = t.elementCount() * Float.BYTES;
        if (bytes > Integer.MAX_VALUE) {
            throw fail(t, "as fp32 it needs " + bytes + " bytes, more than one ByteBuffer holds");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        readFloats(name, out.asFloatBuffer());
        return out;
    }

    @Override
    public void readFloats(String name, FloatBuffer dst) {
        TensorInfo t = info(name);
        DType dtype = t.dtype();
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.F64) {
            throw fail(t, "is " + dtype + ", not a float type (F32, F16, BF16, F64); "
                    + "use longs(), ints() or bytes()");
        }
        if (dst.remaining() < t.elementCount()) {
            throw new IllegalArgumentException(path + ": tensor " + name + " has "
                    + t.elementCount() + " elements but the buffer has room for "
                    + dst.remaining());
        }
        float[] scratch = dtype == DType.F32 ? null : new float[SCRATCH];
        forEachChunk(t, chunk -> {
            switch (dtype) {
                case F32 -> dst.put(chunk.asFloatBuffer());
                case BF16, F16 -> {
                    // Bulk gets into arrays: per-element gets on a mapped buffer are much slower.
                    ShortBuffer in = chunk.asShortBuffer();
                    short[] raw = new short[SCRATCH];
                    while (in.hasRemaining()) {
                        int n = Math.min(SCRATCH, in.remaining());
                        in.get(raw, 0, n);
                        if (dtype == DType.BF16) {
                            for (int i = 0; i < n; i++) {
                                scratch[i] = FloatConversions.bf16ToFloat(raw[i]);
                            }
                        } else {
                            for (int i = 0; i < n; i++) {
                                scratch[i] = FloatConversions.halfToFloat(raw[i]);
                            }
                        }
                        dst.put(scratch, 0, n);
                    }
                }
                case F64 -> {
                    DoubleBuffer in = chunk.asDoubleBuffer();
                    double[] raw = new double[SCRATCH];
                    while (in.hasRemaining()) {
                        int n = Math.min(SCRATCH, in.remaining());
                        in.get(raw, 0, n);
                        for (int i = 0; i < n; i++) {
                            scratch[i] = (float) raw[i];
                        }
                        dst.put(scratch, 0, n);
                    }
                }
                default -> throw new AssertionError(dtype);
            }
        });
    }

    @Override
    public long[] longs(String name) {
        TensorInfo t = info(name);
        long[] out = new long[arrayLength(t)];
        ByteBuffer b = buffer(name);
        switch (t.dtype()) {
            case I64 -> b.asLongBuffer().get(out);
            case I32 -> {
                IntBuffer in = b.asIntBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = in.get(i);
                }
            }
            case I16 -> {
                ShortBuffer in = b.asShortBuffer();
                for (int i = 0; i < out.length; i++) {
                    out[i] = in.get(i);
                }
            }
            case I8 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.get(i) & 0xff;
                }
            }
            default -> throw fail(t, "is " + t.dtype() + ", not an integer type "
                    + "(I64, I32, I16, I8, U8)");
        }
        return out;
    }

    @Override
    public int[] ints(String name) {
        TensorInfo t = info(name);
        if (t.dtype() == DType.I32) {
            int[] out = new int[arrayLength(t)];
            buffer(name).asIntBuffer().get(out);
            return out;
        }
        long[] wide = longs(name);
        int[] out = new int[wide.length];
        for (int i = 0; i < wide.length; i++) {
            if (wide[i] != (int) wide[i]) {
                throw fail(t, "value " + wide[i] + " at index " + i + " does not fit in an int");
            }
            out[i] = (int) wide[i];
        }
        return out;
    }

    @Override
    public byte[] bytes(String name) {
        TensorInfo t = info(name);
        if (t.dtype().bytes() != 1) {
            throw fail(t, "is " + t.dtype() + ", not a one-byte type (I8, U8, BOOL)");
        }
        byte[] out = new byte[arrayLength(t)];
        buffer(name).get(out);
        return out;
    }

    @Override
    public boolean[] booleans(String name) {
        TensorInfo t = info(name);
        if (t.dtype() != DType.BOOL) {
            throw fail(t, "is " + t.dtype() + ", not BOOL");
        }
        byte[] raw = bytes(name);
        boolean[] out = new boolean[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = raw[i] != 0;
        }
        return out;
    }

    /** Closes the file; buffers already returned stay valid (a mapping outlives its channel). */
    @Override
    public void close() {
        closed = true;
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.tensors().size() + " tensors]";
    }

    private interface ChunkVisitor {
        void visit(ByteBuffer chunk);
    }

    /** Maps the tensor in spans of at most 1 GB, so a tensor above 2 GB can still be converted. */
    private void forEachChunk(TensorInfo t, ChunkVisitor visitor) {
        long total = t.end() - t.begin();
        for (long pos = 0; pos < total; pos += maxChunk) {
            visitor.visit(map(t.begin() + pos, Math.min(maxChunk, total - pos)));
        }
    }

    private ByteBuffer map(long relativeOffset, long length) {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        long absolute = dataStart + relativeOffset;
        try {
            long size = channel.size();
            // Touching a mapping past the end of a file that shrank would fault: check first.
            if (absolute + length > size) {
                throw SafetensorsHeader.fail(path.toString(), "file is now " + size
                        + " bytes but a tensor spans up to byte " + (absolute + length)
                        + "; was it truncated after it was opened?");
            }
            if (length == 0) {
                return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, absolute, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            if (closed) {
                throw new IllegalStateException(path + " is closed", e);
            }
            throw new WeightLoadException(path + ": cannot map bytes " + absolute + ".."
                    + (absolute + length) + ": " + e, e);
        }
    }

    private int arrayLength(TensorInfo t) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw fail(t, n + " elements do not fit in a Java array; use readFloats into a buffer");
        }
        return (int) n;
    }

    private WeightLoadException fail(TensorInfo t, String problem) {
        return SafetensorsHeader.fail(path.toString(), "tensor \"" + t.name() + "\" " + problem);
    }

    /** A missing-tensor error that lists the closest names, to expose a typo or a wrong prefix. */
    static WeightLoadException missing(String file, String name, Collection<String> names) {
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(Comparator.comparingInt((String n) -> editDistance(name, n))
                .thenComparing(Comparator.naturalOrder()));
        List<String> close = sorted.subList(0, Math.min(5, sorted.size()));
        return SafetensorsHeader.fail(file, "no tensor named \"" + name + "\" among "
                + names.size() + " tensors; closest: " + close);
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
