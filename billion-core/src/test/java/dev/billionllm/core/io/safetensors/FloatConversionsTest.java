package dev.billionllm.core.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** F16 and BF16 conversions against values fixed by IEEE 754 (not computed by the code under test). */
class FloatConversionsTest {

    private static float half(int bits) {
        return FloatConversions.halfToFloat((short) bits);
    }

    @Test
    void halfToFloatKnownValues() {
        assertThat(half(0x3c00)).isEqualTo(1.0f);
        assertThat(half(0xc000)).isEqualTo(-2.0f);
        assertThat(half(0x3555)).isEqualTo(0.333251953125f);
        assertThat(half(0x7bff)).isEqualTo(65504f); // largest finite
        assertThat(half(0x0400)).isEqualTo(0x1p-14f); // smallest normal
        assertThat(half(0x0001)).isEqualTo(0x1p-24f); // smallest subnormal
        assertThat(half(0x03ff)).isEqualTo(1023 * 0x1p-24f); // largest subnormal
        assertThat(half(0x8001)).isEqualTo(-0x1p-24f);
        assertThat(Float.floatToRawIntBits(half(0x0000))).isEqualTo(0);
        assertThat(Float.floatToRawIntBits(half(0x8000))).isEqualTo(0x80000000); // -0.0
        assertThat(half(0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(half(0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(half(0x7e00)).isNaN();
        assertThat(half(0xfc01)).isNaN();
    }

    @Test
    void everyHalfSurvivesARoundTrip() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = half(h);
            short back = FloatConversions.floatToHalf(f);
            if (Float.isNaN(f)) {
                assertThat(half(back)).isNaN();
            } else if ((back & 0xffff) != h) {
                throw new AssertionError(Integer.toHexString(h) + " -> " + f + " -> "
                        + Integer.toHexString(back & 0xffff));
            }
        }
    }

    @Test
    void floatToHalfRoundsToNearestEven() {
        assertThat(FloatConversions.floatToHalf(65519f)).isEqualTo((short) 0x7bff);
        assertThat(FloatConversions.floatToHalf(65520f)).isEqualTo((short) 0x7c00); // tie -> even = inf
        assertThat(FloatConversions.floatToHalf(1e10f)).isEqualTo((short) 0x7c00);
        assertThat(FloatConversions.floatToHalf(0x1p-25f)).isEqualTo((short) 0); // tie -> even = 0
        assertThat(FloatConversions.floatToHalf(0x1.0002p-25f)).isEqualTo((short) 1);
        assertThat(FloatConversions.floatToHalf(3 * 0x1p-25f)).isEqualTo((short) 2); // 1.5 ulp -> 2
        assertThat(FloatConversions.floatToHalf(1 + 0x1p-11f)).isEqualTo((short) 0x3c00); // tie -> even
        assertThat(FloatConversions.floatToHalf(1 + 3 * 0x1p-11f)).isEqualTo((short) 0x3c02);
        assertThat(FloatConversions.floatToHalf(-1e-10f)).isEqualTo((short) 0x8000);
    }

    @Test
    void bf16KnownValuesAndRounding() {
        assertThat(FloatConversions.bf16ToFloat((short) 0x3f80)).isEqualTo(1.0f);
        assertThat(FloatConversions.bf16ToFloat((short) 0xc040)).isEqualTo(-3.0f);
        assertThat(FloatConversions.bf16ToFloat((short) 0x0001)).isEqualTo(Float.intBitsToFloat(0x10000));
        assertThat(FloatConversions.bf16ToFloat((short) 0x7f80)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(FloatConversions.bf16ToFloat((short) 0x7fc0)).isNaN();
        assertThat(FloatConversions.floatToBf16(Float.intBitsToFloat(0x3f808000))).isEqualTo((short) 0x3f80);
        assertThat(FloatConversions.floatToBf16(Float.intBitsToFloat(0x3f818000))).isEqualTo((short) 0x3f82);
        assertThat(FloatConversions.floatToBf16(Float.intBitsToFloat(0x3f808001))).isEqualTo((short) 0x3f81);
        assertThat(FloatConversions.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7f80);
        assertThat(FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(Float.NaN))).isNaN();
    }

    @Test
    void f16FileWrittenByHandReadsKnownValues(@TempDir Path dir) throws IOException {
        short[] bits = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, 0x03ff, (short) 0x8000, 0x7c00,
            (short) 0xfc00, 0x7e00};
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[9],\"data_offsets\":[0,18]}}";
        ByteBuffer b = ByteBuffer.allocate(8 + header.length() + 18).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length()).put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (short s : bits) {
            b.putShort(s);
        }
        Path path = dir.resolve("f16.safetensors");
        Files.write(path, b.array());
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            float[] v = file.floats("h");
            assertThat(v).hasSize(9);
            assertThat(v[0]).isEqualTo(1f);
            assertThat(v[1]).isEqualTo(-2f);
            assertThat(v[2]).isEqualTo(65504f);
            assertThat(v[3]).isEqualTo(5.9604645e-8f);
            assertThat(v[4]).isEqualTo(6.097555e-5f);
            assertThat(Float.floatToRawIntBits(v[5])).isEqualTo(0x80000000);
            assertThat(v[6]).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(v[7]).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(v[8]).isNaN();
            assertThat(file.floatBuffer("h").asFloatBuffer().get(4)).isEqualTo(6.097555e-5f);
        }
    }
}
