package dev.billionllm.core.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Wire-format bytes checked against the protobuf encoding rules by hand. */
class ProtoWriterTest {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void varintsUseSevenBitGroupsLowFirst() {
        assertThat(new ProtoWriter().int64(1, 150).toByteArray()).containsExactly(bytes(0x08, 0x96, 0x01));
        assertThat(new ProtoWriter().int64(2, 0).toByteArray()).containsExactly(bytes(0x10, 0x00));
        // Negative int64 values take ten bytes (two's complement, 64 bits).
        assertThat(new ProtoWriter().int64(1, -1).toByteArray()).containsExactly(
                bytes(0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
        // Field 20 needs a two-byte tag: (20 << 3) | 0 = 160.
        assertThat(new ProtoWriter().int64(20, 2).toByteArray()).containsExactly(bytes(0xA0, 0x01, 0x02));
    }

    @Test
    void lengthDelimitedFieldsAndMessages() {
        assertThat(new ProtoWriter().string(2, "testing").toByteArray())
                .containsExactly(bytes(0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'));
        ProtoWriter inner = new ProtoWriter().int64(1, 150);
        assertThat(new ProtoWriter().message(3, inner).toByteArray())
                .containsExactly(bytes(0x1A, 0x03, 0x08, 0x96, 0x01));
    }

    @Test
    void packedAndFixedFields() {
        assertThat(new ProtoWriter().packedInt64(4, new long[] {3, 270, 86942}).toByteArray())
                .containsExactly(bytes(0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05));
        assertThat(new ProtoWriter().packedInt64(4, new long[0]).toByteArray()).isEmpty();
        // 1.0f = 0x3F800000, little-endian, wire type 5.
        assertThat(new ProtoWriter().float32(2, 1f).toByteArray()).containsExactly(bytes(0x15, 0, 0, 0x80, 0x3F));
        assertThat(new ProtoWriter().packedFloat(7, new float[] {1f}).toByteArray())
                .containsExactly(bytes(0x3A, 0x04, 0, 0, 0x80, 0x3F));
    }

    @Test
    void fieldZeroIsRejected() {
        assertThatThrownBy(() -> new ProtoWriter().int64(0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("start at 1");
    }
}
