package dev.billionllm.core.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bundled checkpoint and golden file loads, with values checked against an independent decode. */
class FixtureWeightsTest {

    static Stream<String> files() {
        return Stream.of(
                "tiny-tinyllama/model.safetensors", "tiny-tinyllama/golden.safetensors",
                "tiny-llama32/model.safetensors", "tiny-llama32/golden.safetensors",
                "tiny-stablelm2/model.safetensors", "tiny-stablelm2/golden.safetensors",
                "tiny-pythia/model.safetensors", "tiny-pythia/golden.safetensors",
                "tiny-tinyllama-draft/model.safetensors", "tiny-tinyllama-draft/golden.safetensors",
                "tiny-tinyllama-lora-peft/adapter_model.safetensors",
                "tiny-tinyllama-lora-peft/golden.safetensors",
                "small-llama-pair/small-llama-target/model.safetensors",
                "small-llama-pair/small-llama-target/golden.safetensors",
                "small-llama-pair/small-llama-draft/model.safetensors",
                "small-llama-pair/small-llama-draft/golden.safetensors");
    }

    @ParameterizedTest
    @MethodSource("files")
    void everyTensorLoadsAndMatchesTheRawBytes(String relative) throws IOException {
        Path path = Fixtures.root().resolve(relative);
        try (SafetensorsFile file = SafetensorsFile.open(path);
                RandomAccessFile raw = new RandomAccessFile(path.toFile(), "r")) {
            assertThat(file.names()).isNotEmpty();
            // Hugging Face writes the data area densely: the last span ends at the end of file.
            long lastEnd = file.tensors().stream().mapToLong(TensorInfo::end).max().orElseThrow();
            assertThat(file.dataStart() + lastEnd).isEqualTo(Files.size(path));
            for (TensorInfo t : file.tensors()) {
                assertThat(t.end() - t.begin()).isEqualTo(t.elementCount() * t.dtype().bytes());
                switch (t.dtype()) {
                    case F32 -> {
                        float[] values = file.floats(t.name());
                        assertThat(values).hasSize((int) t.elementCount());
                        // Spot-check the first and last element against a plain RandomAccessFile read.
                        assertThat(Float.floatToRawIntBits(values[0]))
                                .isEqualTo(Integer.reverseBytes(readInt(raw, file.dataStart() + t.begin())));
                        assertThat(Float.floatToRawIntBits(values[values.length - 1]))
                                .isEqualTo(Integer.reverseBytes(readInt(raw, file.dataStart() + t.end() - 4)));
                    }
                    case BF16 -> assertThat(file.floats(t.name())).hasSize((int) t.elementCount());
                    case I64 -> {
                        long[] values = file.longs(t.name());
                        assertThat(values).hasSize((int) t.elementCount());
                        raw.seek(file.dataStart() + t.begin());
                        assertThat(values[0]).isEqualTo(Long.reverseBytes(raw.readLong()));
                    }
                    default -> throw new AssertionError("unexpected dtype in fixture: " + t);
                }
            }
        }
    }

    private static int readInt(RandomAccessFile raw, long position) throws IOException {
        raw.seek(position);
        return raw.readInt();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia",
        "tiny-tinyllama-draft", "small-llama-pair/small-llama-target",
        "small-llama-pair/small-llama-draft"})
    void goldenInputIdsEqualGoldenJson(String fixture) throws IOException {
        Path dir = Fixtures.dir(fixture);
        JsonObject golden = JsonParser.parseString(Files.readString(dir.resolve("golden.json")))
                .getAsJsonObject();
        JsonArray prompts = golden.getAsJsonArray("prompts");
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("golden.safetensors"))) {
            for (int i = 0; i < prompts.size(); i++) {
                JsonArray ids = prompts.get(i).getAsJsonObject().getAsJsonArray("input_ids");
                long[] expected = new long[ids.size()];
                for (int j = 0; j < expected.length; j++) {
                    expected[j] = ids.get(j).getAsLong();
                }
                String name = "prompt" + i + ".input_ids";
                assertThat(file.longs(name)).as(name).containsExactly(expected);
                assertThat(file.ints(name)).hasSize(expected.length);
                // logits are [seq, vocab] with seq = the prompt length
                assertThat(file.info("prompt" + i + ".logits").shape()[0]).isEqualTo(expected.length);
            }
        }
        try (SafetensorsSource weights = Safetensors.open(dir)) {
            assertThat(weights).isInstanceOf(SafetensorsFile.class);
            assertThat(weights.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void bf16WeightsWidenBitExactly() {
        Path dir = Fixtures.dir("small-llama-pair/small-llama-target");
        // A small chunk size so the conversion also crosses chunk boundaries.
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve("model.safetensors"), 4096)) {
            int nonZero = 0;
            for (TensorInfo t : file.tensors()) {
                assertThat(t.dtype()).isEqualTo(DType.BF16);
                ShortBuffer bits = file.buffer(t.name()).asShortBuffer();
                float[] values = file.floats(t.name());
                FloatBuffer direct = file.floatBuffer(t.name()).asFloatBuffer();
                assertThat(bits.remaining()).isEqualTo(values.length).isEqualTo(direct.remaining());
                for (int i = 0; i < values.length; i++) {
                    int expected = (bits.get(i) & 0xffff) << 16;
                    if (Float.floatToRawIntBits(values[i]) != expected
                            || Float.floatToRawIntBits(direct.get(i)) != expected) {
                        throw new AssertionError(t.name() + "[" + i + "]: bf16 bits "
                                + Integer.toHexString(expected) + " but read " + values[i]);
                    }
                    if (values[i] != 0) {
                        nonZero++;
                    }
                }
            }
            assertThat(nonZero).isGreaterThan(100_000);
        }
    }

    @Test
    void folderWithoutModelWeightsListsWhatItHolds() {
        Path dir = Fixtures.dir("tiny-tinyllama-lora-peft");
        assertThatThrownBy(() -> Safetensors.open(dir))
                .isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("model.safetensors.index.json")
                .hasMessageContaining("adapter_model.safetensors");
    }

    @Test
    void missingTensorNamesTheClosestNames() {
        Path path = Fixtures.dir("tiny-tinyllama").resolve("model.safetensors");
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            assertThatThrownBy(() -> file.floats("model.layers.0.self_attn.q_proj.weigth"))
                    .isInstanceOf(WeightLoadException.class)
                    .hasMessageContaining(path.toString())
                    .hasMessageContaining("no tensor named \"model.layers.0.self_attn.q_proj.weigth\"")
                    .hasMessageContaining("closest: [model.layers.0.self_attn.q_proj.weight");
            assertThatThrownBy(() -> file.longs("model.norm.weight"))
                    .isInstanceOf(WeightLoadException.class)
                    .hasMessageContaining("is F32, not an integer type");
        }
    }
}
