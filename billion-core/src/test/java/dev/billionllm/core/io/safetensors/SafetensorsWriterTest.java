package dev.billionllm.core.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips through {@link SafetensorsWriter}, single-file and sharded. */
class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static float[] randomFloats(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    @Test
    void everyDtypeRoundTrips() throws IOException {
        Random random = new Random(7);
        float[] f32 = randomFloats(random, 6 * 5);
        float[] f16 = {1f, -2f, 65504f, 0x1p-24f, 0.1f, Float.POSITIVE_INFINITY};
        float[] bf16 = randomFloats(random, 12);
        float[] f64 = randomFloats(random, 3);
        long[] i64 = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        int[] i32 = {Integer.MIN_VALUE, 0, 42, Integer.MAX_VALUE};
        long[] i16 = {-32768, 32767};
        long[] i8 = {-128, 127, 0};
        long[] u8 = {0, 255, 128};
        boolean[] bools = {true, false, true};
        Path path = dir.resolve("all.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("note", "<html> & \"quotes\" ü")
                .addFloats("f32", DType.F32, new long[] {6, 5}, f32)
                .addFloats("f16", DType.F16, new long[] {2, 3}, f16)
                .addFloats("bf16", DType.BF16, new long[] {12}, bf16)
                .addFloats("f64", DType.F64, new long[] {3}, f64)
                .addLongs("i64", DType.I64, new long[] {4}, i64)
                .addInts("i32", new long[] {2, 2}, i32)
                .addLongs("i16", DType.I16, new long[] {2}, i16)
                .addLongs("i8", DType.I8, new long[] {3}, i8)
                .addLongs("u8", DType.U8, new long[] {3}, u8)
                .addBooleans("bool", new long[] {3}, bools)
                .addFloats("scalar", DType.F32, new long[] {}, new float[] {3.5f})
                .addFloats("empty", DType.F32, new long[] {0, 4}, new float[0])
                .write(path);
        // The header is padded so the data starts 8-aligned, and tensors are sorted by size.
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.dataStart() % 8).isZero();
            for (TensorInfo t : file.tensors()) {
                assertThat(t.begin() % t.dtype().bytes()).as(t.name()).isZero();
            }
            assertThat(file.metadata()).containsEntry("format", "pt")
                    .containsEntry("note", "<html> & \"quotes\" ü");
            assertThat(file.info("f32").shape()).containsExactly(6, 5);
            assertThat(file.floats("f32")).containsExactly(f32);
            // 0.1 is not representable: the nearest half is 0x2e66 = 0.0999755859375.
            assertThat(file.floats("f16"))
                    .containsExactly(1f, -2f, 65504f, 0x1p-24f, 0.0999755859375f, Float.POSITIVE_INFINITY);
            assertThat(file.buffer("f16").getShort(4 * 2)).isEqualTo((short) 0x2e66);
            float[] bf16Read = file.floats("bf16");
            for (int i = 0; i < bf16.length; i++) {
                // bf16 keeps 8 mantissa bits: relative error at most 2^-9
                assertThat(bf16Read[i]).isCloseTo(bf16[i], org.assertj.core.data.Offset.offset(Math.abs(bf16[i]) / 256));
                assertThat(Float.floatToRawIntBits(bf16Read[i]) & 0xffff).isZero();
            }
            assertThat(file.floats("f64")).containsExactly(f64);
            assertThat(file.longs("i64")).containsExactly(i64);
            assertThat(file.ints("i32")).containsExactly(i32);
            assertThat(file.longs("i16")).containsExactly(i16);
            assertThat(file.longs("i8")).containsExactly(i8);
            assertThat(file.longs("u8")).containsExactly(u8);
            assertThat(file.ints("u8")).containsExactly(0, 255, 128);
            assertThat(file.booleans("bool")).containsExactly(bools);
            assertThat(file.bytes("bool")).containsExactly(1, 0, 1);
            assertThat(file.floats("scalar")).containsExactly(3.5f);
            assertThat(file.floats("empty")).isEmpty();
            assertThat(file.floatBuffer("empty").capacity()).isZero();
            ByteBuffer direct = file.floatBuffer("f16");
            assertThat(direct.isDirect()).isTrue();
            assertThat(direct.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(direct.getFloat(2 * 4)).isEqualTo(65504f);
            assertThatThrownBy(() -> file.ints("i64")).isInstanceOf(WeightLoadException.class)
                    .hasMessageContaining("does not fit in an int");
        }
        // No temp file is left behind.
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("all.safetensors");
        }
    }

    @Test
    void fixtureRewrittenIsBitIdentical() throws IOException {
        Path source = Fixtures.dir("small-llama-pair/small-llama-draft").resolve("model.safetensors");
        Path copy = dir.resolve("model.safetensors");
        try (SafetensorsFile in = SafetensorsFile.open(source)) {
            SafetensorsWriter writer = new SafetensorsWriter();
            in.metadata().forEach(writer::metadata);
            in.names().forEach(name -> writer.copyFrom(in, name));
            writer.write(copy);
            try (SafetensorsFile out = SafetensorsFile.open(copy)) {
                assertThat(out.names()).containsExactlyInAnyOrderElementsOf(in.names());
                for (String name : in.names()) {
                    assertThat(out.info(name).dtype()).isEqualTo(DType.BF16);
                    assertThat(out.buffer(name)).isEqualTo(in.buffer(name));
                }
            }
        }
    }

    @Test
    void writeReplacesAnExistingFileAtomically() throws IOException {
        Path path = dir.resolve("w.safetensors");
        Files.writeString(path, "old");
        new SafetensorsWriter().addInts("x", new long[] {1}, new int[] {9}).write(path);
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThat(file.ints("x")).containsExactly(9);
        }
    }

    @Test
    void badArgumentsFailWhenAdded() {
        SafetensorsWriter writer = new SafetensorsWriter().addInts("x", new long[] {1}, new int[] {1});
        assertThatThrownBy(() -> writer.addInts("x", new long[] {1}, new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already added");
        assertThatThrownBy(() -> writer.addFloats("y", DType.F32, new long[] {2, 2}, new float[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 4 elements, but 3");
        assertThatThrownBy(() -> writer.addFloats("y", DType.I32, new long[] {1}, new float[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a float dtype");
        assertThatThrownBy(() -> writer.addLongs("y", DType.U8, new long[] {1}, new long[] {256}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit in U8");
        assertThatThrownBy(() -> writer.addInts("__metadata__", new long[] {1}, new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    }

    @Test
    void shardedCheckpointRoundTrips() throws IOException {
        Random random = new Random(11);
        Map<String, float[]> tensors = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) {
            tensors.put("model.layers." + i + ".weight", randomFloats(random, 16 + i));
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        List<String> names = List.copyOf(tensors.keySet());
        for (int shard = 0; shard < 2; shard++) {
            String shardName = String.format("model-%05d-of-%05d.safetensors", shard + 1, 2);
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            for (String name : names.subList(shard * 3, shard * 3 + 3)) {
                float[] v = tensors.get(name);
                writer.addFloats(name, DType.F32, new long[] {v.length}, v);
                weightMap.put(name, shardName);
            }
            total += writer.dataBytes();
            writer.write(dir.resolve(shardName));
        }
        SafetensorsWriter.writeIndex(dir.resolve(ShardedSafetensors.INDEX_FILE), weightMap, total);
        try (SafetensorsSource source = Safetensors.open(dir)) {
            assertThat(source).isInstanceOf(ShardedSafetensors.class);
            assertThat(source.names()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
            assertThat(source.metadata()).containsEntry("total_size", Long.toString(total));
            tensors.forEach((name, v) -> assertThat(source.floats(name)).containsExactly(v));
            assertThat(((ShardedSafetensors) source).shardOf(names.get(4)).path().getFileName())
                    .hasToString("model-00002-of-00002.safetensors");
            assertThatThrownBy(() -> source.floats("model.layers.9.weight"))
                    .isInstanceOf(WeightLoadException.class)
                    .hasMessageContaining(ShardedSafetensors.INDEX_FILE)
                    .hasMessageContaining("closest: [model.layers.");
        }

        // The index maps a tensor to a shard that lacks it.
        Map<String, String> wrong = new LinkedHashMap<>(weightMap);
        wrong.put(names.get(0), "model-00002-of-00002.safetensors");
        SafetensorsWriter.writeIndex(dir.resolve(ShardedSafetensors.INDEX_FILE), wrong, total);
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining("model-00002-of-00002.safetensors")
                .hasMessageContaining("maps tensor \"" + names.get(0) + "\" to this shard");

        // A shard is missing.
        Files.delete(dir.resolve("model-00001-of-00002.safetensors"));
        SafetensorsWriter.writeIndex(dir.resolve(ShardedSafetensors.INDEX_FILE), weightMap, total);
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(ShardedSafetensors.INDEX_FILE)
                .hasMessageContaining("shard files missing")
                .hasMessageContaining("model-00001-of-00002.safetensors");

        // A shard name escaping the folder.
        SafetensorsWriter.writeIndex(dir.resolve(ShardedSafetensors.INDEX_FILE),
                Map.of("x", "../model-00002-of-00002.safetensors"), total);
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining("is not a file name in the index's folder");

        // A malformed index.
        Files.writeString(dir.resolve(ShardedSafetensors.INDEX_FILE), "{\"weight_map\": [1]}");
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(ShardedSafetensors.INDEX_FILE)
                .hasMessageContaining("\"weight_map\" must be an object");
        Files.writeString(dir.resolve(ShardedSafetensors.INDEX_FILE), "{\"weight_map\": ");
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining("invalid JSON");
    }
}
