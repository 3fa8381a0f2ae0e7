package dev.billionllm.core.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds an ONNX graph node by node and encodes it as a {@code ModelProto}. Large initializers
 * are streamed to an external data file as they are added (so a model over 2 GB, which protobuf
 * cannot hold, works, and the exporter never keeps more than one weight in memory); small ones
 * are stored inline.
 *
 * <p>Field numbers follow onnx.proto (IR version 8). Value names are generated
 * ({@code n12_MatMul}) unless an output name is given.
 */
final class OnnxGraph implements AutoCloseable {

    /** TensorProto.DataType values used here. */
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int BOOL = 9;

    /** Contrib operators' domain. */
    static final String MS_DOMAIN = "com.microsoft";

    /** Tensors smaller than this many bytes stay inside model.onnx. */
    private static final int INLINE_LIMIT = 1024;
    /** Offsets of large tensors in the data file are page-aligned so ONNX Runtime can map them. */
    private static final int ALIGNMENT = 4096;

    private final List<ProtoWriter> nodes = new ArrayList<>();
    private final List<ProtoWriter> initializers = new ArrayList<>();
    private final List<ProtoWriter> inputs = new ArrayList<>();
    private final List<ProtoWriter> outputs = new ArrayList<>();
    private final Map<String, String> constants = new HashMap<>();
    private final FileChannel data;
    private final String dataLocation;
    private long dataOffset;
    private int counter;

    /** An attribute, already encoded as an {@code AttributeProto}. */
    record Attr(ProtoWriter proto) {
        static Attr of(String name, long value) {
            return new Attr(new ProtoWriter().string(1, name).int64(20, 2).int64(3, value));
        }

        static Attr of(String name, float value) {
            return new Attr(new ProtoWriter().string(1, name).int64(20, 1).float32(2, value));
        }

        static Attr of(String name, String value) {
            return new Attr(new ProtoWriter().string(1, name).int64(20, 3).string(4, value));
        }

        static Attr ints(String name, long... values) {
            return new Attr(new ProtoWriter().string(1, name).int64(20, 7).packedInt64(8, values));
        }
    }

    /**
     * @param dataFile where large initializers go (created or truncated)
     * @param dataLocation the file name model.onnx refers to, relative to its own folder
     */
    OnnxGraph(Path dataFile, String dataLocation) {
        this.dataLocation = dataLocation;
        try {
            this.data = FileChannel.open(dataFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataFile, e);
        }
    }

    /** Declares a graph input; a dim is a {@code Long}/{@code Integer} size or a {@code String} symbol. */
    String input(String name, int elemType, Object... dims) {
        inputs.add(valueInfo(name, elemType, dims));
        return name;
    }

    /** Declares a graph output (which some node must produce under that name). */
    void output(String name, int elemType, Object... dims) {
        outputs.add(valueInfo(name, elemType, dims));
    }

    /** Adds a default-domain node with one generated output. */
    String op(String opType, List<String> in, Attr... attrs) {
        return node("", opType, in, 1, attrs)[0];
    }

    /** Adds a default-domain node with one generated output. */
    String op(String opType, String... in) {
        return op(opType, List.of(in));
    }

    /** Adds a node with {@code outputCount} generated outputs. */
    String[] node(String domain, String opType, List<String> in, int outputCount, Attr... attrs) {
        String[] out = new String[outputCount];
        int id = counter++;
        for (int i = 0; i < outputCount; i++) {
            out[i] = "n" + id + "_" + opType + (outputCount > 1 ? "_" + i : "");
        }
        nodeNamed(domain, opType, in, List.of(out), attrs);
        return out;
    }

    /** Adds a node whose outputs have the given names (graph outputs). */
    void nodeNamed(String domain, String opType, List<String> in, List<String> out, Attr... attrs) {
        ProtoWriter node = new ProtoWriter();
        for (String i : in) {
            node.string(1, i);
        }
        for (String o : out) {
            node.string(2, o);
        }
        node.string(3, "node" + nodes.size() + "_" + opType).string(4, opType);
        for (Attr a : attrs) {
            node.message(5, a.proto());
        }
        if (!domain.isEmpty()) {
            node.string(7, domain);
        }
        nodes.add(node);
    }

    /** An int64 constant (1-D, or a scalar when {@code scalar}), shared between uses. */
    String int64s(boolean scalar, long... values) {
        String key = "i" + scalar + java.util.Arrays.toString(values);
        return constants.computeIfAbsent(key, k -> {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                b.putLong(v);
            }
            return initializer("const" + constants.size() + "_i64", INT64,
                    scalar ? new long[0] : new long[] {values.length}, b.flip());
        });
    }

    /** A 1-D int64 constant. */
    String int64s(long... values) {
        return int64s(false, values);
    }

    /** A float scalar constant, shared between uses. */
    String scalar(float value) {
        return constants.computeIfAbsent("f" + Float.floatToIntBits(value), k -> {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
            return initializer("const" + constants.size() + "_f32", FLOAT, new long[0], b.flip());
        });
    }

    /** A uint8 scalar constant, shared between uses. */
    String uint8Scalar(int value) {
        return constants.computeIfAbsent("u8_" + value, k -> initializer("const" + constants.size() + "_u8", UINT8,
                new long[0], ByteBuffer.wrap(new byte[] {(byte) value})));
    }

    /** A float initializer. */
    String floats(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return initializer(name, FLOAT, dims, b);
    }

    /**
     * Adds an initializer from little-endian bytes (position to limit), writing it to the data file
     * at once when large.
     */
    String initializer(String name, int elemType, long[] dims, ByteBuffer bytes) {
        ProtoWriter t = new ProtoWriter().packedInt64(1, dims).int64(2, elemType).string(8, name);
        int length = bytes.remaining();
        if (length < INLINE_LIMIT) {
            byte[] raw = new byte[length];
            bytes.duplicate().get(raw);
            t.bytes(9, raw);
        } else {
            long offset = (dataOffset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
            try {
                ByteBuffer src = bytes.duplicate();
                long pos = offset;
                while (src.hasRemaining()) {
                    pos += data.write(src, pos);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write weights for " + name, e);
            }
            dataOffset = offset + length;
            t.message(13, entry("location", dataLocation))
                    .message(13, entry("offset", Long.toString(offset)))
                    .message(13, entry("length", Long.toString(length)))
                    .int64(14, 1); // data_location = EXTERNAL
        }
        initializers.add(t);
        return name;
    }

    /** Bytes written to the external data file so far. */
    long externalBytes() {
        return dataOffset;
    }

    /**
     * Encodes the model.
     *
     * @param opsets domain to version, e.g. {"" : 17, "com.microsoft": 1}
     */
    byte[] encode(String graphName, Map<String, Long> opsets, String producer, String version,
            Map<String, String> metadata) {
        ProtoWriter graph = new ProtoWriter();
        nodes.forEach(n -> graph.message(1, n));
        graph.string(2, graphName);
        initializers.forEach(t -> graph.message(5, t));
        inputs.forEach(v -> graph.message(11, v));
        outputs.forEach(v -> graph.message(12, v));
        ProtoWriter model = new ProtoWriter().int64(1, 8); // IR version 8 (ONNX 1.13+, ORT 1.14+)
        opsets.forEach((domain, v) -> model.message(8, new ProtoWriter().string(1, domain).int64(2, v)));
        model.string(2, producer).string(3, version).message(7, graph);
        metadata.forEach((k, v) -> model.message(14, entry(k, v)));
        return model.toByteArray();
    }

    @Override
    public void close() {
        try {
            data.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ProtoWriter entry(String key, String value) {
        return new ProtoWriter().string(1, key).string(2, value);
    }

    private static ProtoWriter valueInfo(String name, int elemType, Object... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (Object d : dims) {
            ProtoWriter dim = new ProtoWriter();
            if (d instanceof String s) {
                dim.string(2, s);
            } else {
                dim.int64(1, ((Number) d).longValue());
            }
            shape.message(1, dim);
        }
        ProtoWriter tensor = new ProtoWriter().int64(1, elemType).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensor));
    }
}
