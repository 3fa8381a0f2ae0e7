package dev.billionllm.core.export;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal protocol-buffers encoder (wire types 0, 2 and 5), enough to write ONNX's
 * {@code ModelProto} without a protobuf dependency. Messages are built bottom-up: encode the
 * child into its own writer, then embed it with {@link #message(int, ProtoWriter)}.
 *
 * <pre>{@code
 * ProtoWriter opset = new ProtoWriter().string(1, "").int64(2, 17);
 * ProtoWriter model = new ProtoWriter().int64(1, 8).message(8, opset);
 * byte[] bytes = model.toByteArray();
 * }</pre>
 */
final class ProtoWriter {

    private static final int VARINT = 0;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** An int32/int64/enum/bool field (varint; negative values take ten bytes, as protobuf says). */
    ProtoWriter int64(int field, long value) {
        tag(field, VARINT);
        varint(value);
        return this;
    }

    /** A float field (fixed 32 bits, little-endian). */
    ProtoWriter float32(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        return this;
    }

    /** A UTF-8 string field. */
    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A bytes field. */
    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        varint(value.length);
        out.write(value, 0, value.length);
        return this;
    }

    /** An embedded message. */
    ProtoWriter message(int field, ProtoWriter message) {
        return bytes(field, message.toByteArray());
    }

    /** A packed repeated int64 field (omitted when empty, as protobuf encoders do). */
    ProtoWriter packedInt64(int field, long[] values) {
        if (values.length == 0) {
            return this;
        }
        ProtoWriter packed = new ProtoWriter();
        for (long v : values) {
            packed.varint(v);
        }
        return bytes(field, packed.toByteArray());
    }

    /** A packed repeated float field (omitted when empty). */
    ProtoWriter packedFloat(int field, float[] values) {
        if (values.length == 0) {
            return this;
        }
        ProtoWriter packed = new ProtoWriter();
        for (float v : values) {
            int bits = Float.floatToIntBits(v);
            for (int i = 0; i < 4; i++) {
                packed.out.write(bits >>> (8 * i));
            }
        }
        return bytes(field, packed.toByteArray());
    }

    /** Encoded size so far. */
    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        if (field <= 0) {
            throw new IllegalArgumentException("protobuf field numbers start at 1, got " + field);
        }
        varint(((long) field << 3) | wireType);
    }

    private void varint(long value) {
        // Seven bits per byte, low group first, high bit set on all but the last byte.
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }
}
