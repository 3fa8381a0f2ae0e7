package dev.billionllm.core.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file above 2 GB, written sparse: a 2 GB + 64 byte tensor of zeros (a hole, never written)
 * followed by tensors with known values, so their offsets do not fit in an int.
 */
class LargeFileTest {

    private static final long PAD = (1L << 31) + 64;

    @TempDir
    Path dir;

    @Test
    void tensorsPastTwoGigabytesReadCorrectly() throws IOException {
        float[] far = new float[1024];
        for (int i = 0; i < far.length; i++) {
            far[i] = i * 0.25f - 100f;
        }
        short[] farBf16 = new short[1000];
        for (int i = 0; i < farBf16.length; i++) {
            farBf16[i] = (short) (0x3f80 + i); // 1.0 and the next 999 bf16 values
        }
        long[] end = {Long.MIN_VALUE, -7, 123456789012L, Long.MAX_VALUE};
        long farBegin = PAD;
        long bf16Begin = farBegin + far.length * 4L;
        long endBegin = bf16Begin + farBf16.length * 2L;
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"pad\":{\"dtype\":\"U8\",\"shape\":[" + PAD + "],\"data_offsets\":[0," + PAD + "]},"
                + "\"far\":{\"dtype\":\"F32\",\"shape\":[32,32],\"data_offsets\":[" + farBegin + "," + bf16Begin + "]},"
                + "\"far_bf16\":{\"dtype\":\"BF16\",\"shape\":[1000],\"data_offsets\":[" + bf16Begin + "," + endBegin + "]},"
                + "\"end\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[" + endBegin + "," + (endBegin + 32) + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + json.length;
        Path path = dir.resolve("big.safetensors");
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            ByteBuffer head = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(json.length).put(json).flip();
            out.write(head, 0);
            // Seek past the pad: on a file system with sparse files the hole takes no space.
            ByteBuffer tail = ByteBuffer.allocate((int) (endBegin + 32 - farBegin))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (float f : far) {
                tail.putFloat(f);
            }
            for (short s : farBf16) {
                tail.putShort(s);
            }
            for (long l : end) {
                tail.putLong(l);
            }
            tail.flip();
            while (tail.hasRemaining()) {
                out.write(tail, dataStart + farBegin + tail.position());
            }
        } catch (IOException e) {
            Assumptions.abort("this file system cannot hold a sparse 2 GB file: " + e);
        }
        assertThat(Files.size(path)).isGreaterThan(1L << 31);

        try (SafetensorsSource file = Safetensors.open(path)) {
            assertThat(file.info("far").begin()).isGreaterThan(Integer.MAX_VALUE);
            assertThat(file.floats("far")).containsExactly(far);
            float[] bf16 = file.floats("far_bf16");
            for (int i = 0; i < bf16.length; i++) {
                assertThat(Float.floatToRawIntBits(bf16[i])).isEqualTo((0x3f80 + i) << 16);
            }
            assertThat(file.floatBuffer("far").getFloat(4 * 1023)).isEqualTo(far[1023]);
            assertThat(file.longs("end")).containsExactly(end);
            assertThat(file.info("pad").end()).isEqualTo(PAD);
            assertThatThrownBy(() -> file.buffer("pad")).isInstanceOf(WeightLoadException.class)
                    .hasMessageContaining(path.toString())
                    .hasMessageContaining("exceed the 2 GB limit of one ByteBuffer");
            assertThatThrownBy(() -> file.longs("pad")).isInstanceOf(WeightLoadException.class)
                    .hasMessageContaining("do not fit in a Java array");
        }
    }
}
