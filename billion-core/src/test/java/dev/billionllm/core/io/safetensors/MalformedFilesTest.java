package dev.billionllm.core.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of broken file fails with a WeightLoadException that names the file and the problem. */
class MalformedFilesTest {

    @TempDir
    Path dir;

    /** Writes the 8-byte length, the header text and {@code dataBytes} bytes of data. */
    static Path file(Path dir, String name, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return file(dir, name, json.length, json, dataBytes);
    }

    static Path file(Path dir, String name, long headerLength, byte[] json, int dataBytes)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(json);
        Path path = dir.resolve(name);
        Files.write(path, b.array());
        return path;
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(Path path,
            String problem) {
        return assertThatThrownBy(() -> SafetensorsFile.open(path).close())
                .isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining(problem);
    }

    private static final String ONE = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";

    @Test
    void wellFormedBaseCaseOpens() throws IOException {
        Path path = file(dir, "ok.safetensors", ONE, 16);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.floats("a")).containsExactly(0, 0, 0, 0);
            assertThat(file.info("a").shape()).containsExactly(2, 2);
        }
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path path = dir.resolve("short.safetensors");
        Files.write(path, new byte[] {1, 2, 3});
        assertOpenFails(path, "truncated: 3 bytes");
    }

    @Test
    void emptyFile() throws IOException {
        Path path = dir.resolve("empty.safetensors");
        Files.write(path, new byte[0]);
        assertOpenFails(path, "truncated: 0 bytes");
    }

    @Test
    void headerLengthPastTheEnd() throws IOException {
        byte[] json = ONE.getBytes(StandardCharsets.UTF_8);
        assertOpenFails(file(dir, "len.safetensors", 1_000_000, json, 16),
                "header length 1000000 is past the end of the file");
        assertOpenFails(file(dir, "neg.safetensors", -1, json, 16),
                "header length 18446744073709551615 is past the end");
    }

    @Test
    void truncatedData() throws IOException {
        assertOpenFails(file(dir, "trunc.safetensors", ONE, 10), "end past the data area of 10 bytes");
    }

    @Test
    void spanOutOfRange() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[100,116]}}";
        assertOpenFails(file(dir, "range.safetensors", header, 16), "[100, 116] end past the data area");
    }

    @Test
    void invalidJson() throws IOException {
        assertOpenFails(file(dir, "json.safetensors", "{\"a\": {\"dtype\": ", 0), "invalid JSON header");
        assertOpenFails(file(dir, "array.safetensors", "[1, 2]", 0), "invalid JSON header: the header must be an object");
        assertOpenFails(file(dir, "trailing.safetensors", "{} {}", 0), "invalid JSON header: malformed JSON at line 1 column 5");
        assertOpenFails(file(dir, "lenient.safetensors", "{a: 1}", 0), "invalid JSON header");
        byte[] notUtf8 = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        assertOpenFails(file(dir, "utf8.safetensors", notUtf8.length, notUtf8, 0), "not valid UTF-8");
    }

    @Test
    void unknownDtype() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}";
        assertOpenFails(file(dir, "dtype.safetensors", header, 4), "unknown dtype \"F8_E4M3\"");
    }

    @Test
    void shapeDoesNotMatchTheSpan() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,16]}}";
        assertOpenFails(file(dir, "shape.safetensors", header, 16),
                "shape [3, 2] x F32 needs 24 bytes but data_offsets [0, 16] span 16 bytes");
        String overflow = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}";
        assertOpenFails(file(dir, "overflow.safetensors", overflow, 16), "overflows");
    }

    @Test
    void overlappingSpans() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        assertOpenFails(file(dir, "overlap.safetensors", header, 16), "overlap")
                .hasMessageContaining("\"a\" [0, 16]").hasMessageContaining("\"b\" [8, 16]");
    }

    @Test
    void badEntries() throws IOException {
        assertOpenFails(file(dir, "neg.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16), "negative value -4");
        assertOpenFails(file(dir, "frac.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4.5],\"data_offsets\":[0,16]}}", 16), "invalid JSON header");
        assertOpenFails(file(dir, "str.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}}", 16), "must be a number");
        assertOpenFails(file(dir, "missing.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16), "lacks \"data_offsets\"");
        assertOpenFails(file(dir, "three.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8,16]}}", 16), "must be [begin, end]");
        assertOpenFails(file(dir, "reversed.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,0]}}", 16), "before begin");
        assertOpenFails(file(dir, "dup.safetensors", "{\"a\":" + ONE.substring(5, ONE.length() - 1)
                + ",\"a\":" + ONE.substring(5, ONE.length() - 1) + "}", 16), "duplicate tensor \"a\"");
        assertOpenFails(file(dir, "meta.safetensors", "{\"__metadata__\":{\"format\":1}}", 0),
                "\"__metadata__\".format must be a string");
    }

    @Test
    void metadataAndExtraKeysAreAccepted() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8],\"extra\":[1,{\"x\":2}]}}   ";
        Path path = file(dir, "meta-ok.safetensors", header, 8);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.metadata()).isEqualTo(Map.of("format", "pt"));
            assertThat(file.longs("a")).containsExactly(0L); // a scalar has one element
            assertThat(file.info("a").shape()).isEmpty();
        }
    }

    @Test
    void wrongTypeAccessIsAClearError() throws IOException {
        Path path = file(dir, "types.safetensors", ONE, 16);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThatThrownBy(() -> file.bytes("a")).isInstanceOf(WeightLoadException.class)
                    .hasMessageContaining(path.toString()).hasMessageContaining("not a one-byte type");
            assertThatThrownBy(() -> file.booleans("a")).hasMessageContaining("not BOOL");
            assertThatThrownBy(() -> file.readFloats("a", java.nio.FloatBuffer.allocate(3)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("room for 3");
        }
        SafetensorsFile closed = SafetensorsFile.open(path);
        closed.close();
        assertThatThrownBy(() -> closed.floats("a")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("nope.safetensors");
        assertOpenFails(missing, "file not found");
        assertOpenFails(dir, "is a directory");
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("neither model.safetensors");
    }
}
