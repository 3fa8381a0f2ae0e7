package dev.billionllm.core.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random mutations of a valid file's header, length prefix and size: opening and reading must
 * either work or throw WeightLoadException, never anything else.
 */
class HeaderFuzzTest {

    private static final int ITERATIONS = 4000;
    private static final byte[] JSON_BYTES = "{}[]\",:0123456789-.eE aFIUB_\\".getBytes();

    @TempDir
    Path dir;

    @Test
    void mutatedHeadersOnlyEverThrowWeightLoadException() throws IOException {
        Path base = dir.resolve("base.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .addFloats("w", DType.F32, new long[] {3, 4}, new float[12])
                .addFloats("h", DType.F16, new long[] {5}, new float[5])
                .addFloats("b", DType.BF16, new long[] {2, 3}, new float[6])
                .addFloats("d", DType.F64, new long[] {2}, new float[2])
                .addLongs("ids", DType.I64, new long[] {3}, new long[] {1, 2, 3})
                .addInts("i", new long[] {2}, new int[] {4, 5})
                .addLongs("u", DType.U8, new long[] {4}, new long[] {1, 2, 3, 4})
                .addBooleans("m", new long[] {2}, new boolean[] {true, false})
                .write(base);
        byte[] original = Files.readAllBytes(base);
        int headerEnd = 8 + (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Random random = new Random(20261126L);
        Path path = dir.resolve("fuzz.safetensors");
        int rejected = 0;
        int accepted = 0;
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            byte[] bytes = original.clone();
            int mutations = 1 + random.nextInt(3);
            for (int m = 0; m < mutations; m++) {
                bytes = mutate(bytes, headerEnd, random);
            }
            overwrite(path, bytes);
            try (SafetensorsFile file = SafetensorsFile.open(path)) {
                readEverything(file);
                accepted++;
            } catch (WeightLoadException e) {
                assertThat(e.getMessage()).startsWith(path.toString());
                rejected++;
            } catch (Throwable t) {
                throw new AssertionError("iteration " + iteration + ": " + t + " for header "
                        + new String(Arrays.copyOfRange(bytes, 8, Math.min(bytes.length, headerEnd))), t);
            }
        }
        // Both outcomes must occur, or the mutations are not exercising the validation.
        assertThat(rejected).isGreaterThan(ITERATIONS / 2);
        assertThat(accepted).isGreaterThan(10);
    }

    /** Overwrite then shrink: truncating to zero first makes ext4 flush, 100x slower. */
    private static void overwrite(Path path, byte[] bytes) throws IOException {
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                out.write(b, b.position());
            }
            out.truncate(bytes.length);
        }
    }

    private static byte[] mutate(byte[] bytes, int headerEnd, Random random) {
        int headerBytes = Math.max(1, Math.min(bytes.length, headerEnd) - 8);
        switch (random.nextInt(6)) {
            case 0 -> { // a JSON-significant character anywhere in the header
                if (bytes.length > 8) {
                    bytes[8 + random.nextInt(Math.min(headerBytes, bytes.length - 8))] =
                            JSON_BYTES[random.nextInt(JSON_BYTES.length)];
                }
            }
            case 1 -> { // a digit changed: offsets and shapes stay syntactically valid
                for (int tries = 0; tries < 20 && bytes.length > 8; tries++) {
                    int at = 8 + random.nextInt(Math.min(headerBytes, bytes.length - 8));
                    if (bytes[at] >= '0' && bytes[at] <= '9') {
                        bytes[at] = (byte) ('0' + random.nextInt(10));
                        break;
                    }
                }
            }
            case 2 -> { // the length prefix: near the truth, or anything
                if (bytes.length >= 8) {
                    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                    long length = b.getLong(0);
                    b.putLong(0, random.nextBoolean() ? length + random.nextInt(33) - 16 : random.nextLong());
                }
            }
            case 3 -> { // a truncated file
                return Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
            }
            case 4 -> { // a random byte anywhere
                if (bytes.length > 0) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            default -> { // a slice of the header removed (the length prefix is not adjusted)
                if (bytes.length > 9) {
                    int from = 8 + random.nextInt(Math.min(headerBytes, bytes.length - 8));
                    int to = Math.min(bytes.length, from + 1 + random.nextInt(16));
                    byte[] shorter = new byte[bytes.length - (to - from)];
                    System.arraycopy(bytes, 0, shorter, 0, from);
                    System.arraycopy(bytes, to, shorter, from, bytes.length - to);
                    return shorter;
                }
            }
        }
        return bytes;
    }

    private static void readEverything(SafetensorsFile file) {
        file.metadata().size();
        for (TensorInfo t : file.tensors()) {
            file.buffer(t.name());
            switch (t.dtype()) {
                case F32, F16, BF16, F64 -> {
                    file.floats(t.name());
                    file.floatBuffer(t.name());
                }
                case BOOL -> file.booleans(t.name());
                default -> {
                    file.longs(t.name());
                    if (t.dtype().bytes() == 1) {
                        file.bytes(t.name());
                    }
                }
            }
        }
    }
}
