package dev.billionllm.core.internal.backend.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes small ONNX models as raw protobuf, for tests that need a graph whose inputs and outputs
 * break the decoder layout. Field numbers are those of onnx.proto (ModelProto, GraphProto,
 * NodeProto, ValueInfoProto, TypeProto, TensorShapeProto).
 */
final class TinyOnnx {

    /** TensorProto.DataType values. */
    static final int FLOAT = 1;
    static final int INT64 = 7;
    static final int BOOL = 9;
    static final int FLOAT16 = 10;

    private TinyOnnx() {}

    /** A value: name, element type and dimensions (a String is a symbolic dimension, a Number a fixed one). */
    static byte[] value(String name, int elemType, Object... dims) {
        Proto shape = new Proto();
        for (Object d : dims) {
            Proto dim = new Proto();
            if (d instanceof Number n) {
                dim.varint(1, n.longValue());
            } else {
                dim.string(2, d.toString());
            }
            shape.message(1, dim.bytes());
        }
        Proto tensor = new Proto().varint(1, elemType).message(2, shape.bytes());
        Proto type = new Proto().message(1, tensor.bytes());
        return new Proto().string(1, name).message(2, type.bytes()).bytes();
    }

    /** A node with no attributes. */
    static byte[] node(String opType, String[] inputs, String[] outputs) {
        Proto n = new Proto();
        for (String i : inputs) {
            n.string(1, i);
        }
        for (String o : outputs) {
            n.string(2, o);
        }
        return n.string(4, opType).bytes();
    }

    /** A node with integer attributes given as name, value pairs. */
    static byte[] node(String opType, String[] inputs, String[] outputs, Object... intAttributes) {
        Proto n = new Proto().append(node(opType, inputs, outputs));
        for (int a = 0; a < intAttributes.length; a += 2) {
            // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
            Proto attr = new Proto().string(1, (String) intAttributes[a])
                    .varint(3, ((Number) intAttributes[a + 1]).longValue()).varint(20, 2);
            n.message(5, attr.bytes());
        }
        return n.bytes();
    }

    /** An int64 initializer (TensorProto: dims = 1, data_type = 2, int64_data = 7, name = 8). */
    static byte[] int64s(String name, long... values) {
        Proto t = new Proto().varint(1, values.length).varint(2, INT64);
        for (long v : values) {
            t.varint(7, v);
        }
        return t.string(8, name).bytes();
    }

    /** A model (IR 8, default opset 17) with one graph. */
    static byte[] model(byte[][] nodes, byte[][] inputs, byte[][] outputs) {
        return model(nodes, new byte[0][], inputs, outputs);
    }

    /** A model (IR 8, default opset 17) with one graph and initializers. */
    static byte[] model(byte[][] nodes, byte[][] initializers, byte[][] inputs, byte[][] outputs) {
        Proto graph = new Proto();
        for (byte[] n : nodes) {
            graph.message(1, n);
        }
        graph.string(2, "tiny");
        for (byte[] i : initializers) {
            graph.message(5, i);
        }
        for (byte[] i : inputs) {
            graph.message(11, i);
        }
        for (byte[] o : outputs) {
            graph.message(12, o);
        }
        Proto opset = new Proto().string(1, "").varint(2, 17);
        return new Proto().varint(1, 8).string(2, "billion-llm-test").message(7, graph.bytes())
                .message(8, opset.bytes()).bytes();
    }

    /** Protobuf wire format: varints (type 0) and length-delimited fields (type 2). */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            raw((long) field << 3);
            raw(v);
            return this;
        }

        Proto string(int field, String s) {
            return message(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, byte[] b) {
            raw(((long) field << 3) | 2);
            raw(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        Proto append(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
