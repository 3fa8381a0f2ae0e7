package dev.billionllm.core.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The export folder's files, and the errors for checkpoints the exporter cannot handle. */
class OnnxExporterFilesTest {

    @TempDir
    Path tmp;

    @Test
    void writesGraphDataMetadataAndCompanions() throws IOException {
        Path dst = tmp.resolve("out");
        OnnxExporter.export(Fixtures.dir("tiny-llama32"), dst,
                ExportOptions.builder().setPrecision(Precision.INT4).optBlockSize(16).build());
        try (var files = Files.list(dst)) {
            assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toSet())).containsExactlyInAnyOrder(
                    "model.onnx", "model.onnx_data", "billion-export.json", "config.json", "generation_config.json",
                    "tokenizer.json", "tokenizer_config.json");
        }
        JsonObject meta = ModelConfigParser.readJson(dst.resolve("billion-export.json"));
        assertThat(meta.get("precision").getAsString()).isEqualTo("int4");
        assertThat(meta.get("int4_block_size").getAsInt()).isEqualTo(16);
        assertThat(meta.get("int4_accuracy_level").getAsInt()).isEqualTo(4);
        assertThat(meta.get("model_type").getAsString()).isEqualTo("llama");
        assertThat(meta.get("builder_version").getAsInt()).isEqualTo(OnnxExporter.BUILDER_VERSION);
        assertThat(meta.get("external_data_bytes").getAsLong()).isEqualTo(Files.size(dst.resolve("model.onnx_data")));
        // The graph refers to its data file by name; weights are not inside model.onnx.
        String graph = Files.readString(dst.resolve("model.onnx"), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(graph).contains("model.onnx_data").contains("MatMulNBits").contains("com.microsoft");
        assertThat(Files.size(dst.resolve("model.onnx"))).isLessThan(Files.size(dst.resolve("model.onnx_data")));
        assertThat(Files.readString(dst.resolve("config.json")))
                .isEqualTo(Files.readString(Fixtures.dir("tiny-llama32").resolve("config.json")));
        try (var files = Files.list(dst)) {
            assertThat(files.noneMatch(p -> p.toString().endsWith(".tmp"))).isTrue();
        }
    }

    @Test
    void tiedFp32ExportsReuseTheEmbeddingForTheOutputProjection() throws IOException {
        Path tied = tmp.resolve("tied");
        Path untied = tmp.resolve("untied");
        OnnxExporter.export(Fixtures.dir("tiny-llama32"), tied, ExportOptions.builder().setPrecision(Precision.FP32).build());
        OnnxExporter.export(Fixtures.dir("tiny-tinyllama"), untied, ExportOptions.builder().setPrecision(Precision.FP32).build());
        String tiedGraph = Files.readString(tied.resolve("model.onnx"), java.nio.charset.StandardCharsets.ISO_8859_1);
        String untiedGraph = Files.readString(untied.resolve("model.onnx"),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(tiedGraph).contains("embed_tokens.weight").doesNotContain("lm_head.weight").contains("Gemm");
        assertThat(untiedGraph).contains("embed_tokens.weight").contains("lm_head.weight");
    }

    @Test
    void qkLayerNormWithoutItsTensorsNamesTheFirstMissingOne() throws IOException {
        // Exported since qk-norm is supported (StableLmSwitchesExportTest); a config.json that asks
        // for it over a checkpoint without the per-head scales must say which tensor is missing.
        Path src = tmp.resolve("qknorm");
        Files.createDirectories(src);
        Path fixture = Fixtures.dir("tiny-stablelm2");
        Files.copy(fixture.resolve("model.safetensors"), src.resolve("model.safetensors"));
        Files.writeString(src.resolve("config.json"), Files.readString(fixture.resolve("config.json"))
                .replace("\"qk_layernorm\": false", "\"qk_layernorm\": true"));
        assertThatThrownBy(() -> OnnxExporter.export(src, tmp.resolve("out"), ExportOptions.builder().setPrecision(Precision.FP32).build()))
                .isInstanceOf(WeightLoadException.class)
                .hasMessageContaining("model.layers.0.self_attn.q_layernorm.norms.0.weight")
                .hasMessageContaining("[16]");
    }

    @Test
    void missingTensorIsNamed() {
        Path fixture = Fixtures.dir("tiny-tinyllama");
        ModelConfig config = ModelConfigParser.parse(fixture);
        String hidden = "model.layers.1.mlp.up_proj.weight";
        try (TensorSource weights = Safetensors.open(fixture)) {
            TensorSource without = new Hiding(weights, hidden);
            assertThatThrownBy(() -> OnnxExporter.export(config, without, "test", tmp.resolve("out"),
                    ExportOptions.builder().setPrecision(Precision.FP32).build()))
                    .isInstanceOf(WeightLoadException.class).hasMessageContaining(hidden).hasMessageContaining("[176, 64]");
        }
    }

    @Test
    void wrongShapeIsReportedWithBothShapes() throws IOException {
        Path src = tmp.resolve("shape");
        Files.createDirectories(src);
        Path fixture = Fixtures.dir("tiny-tinyllama");
        Files.copy(fixture.resolve("model.safetensors"), src.resolve("model.safetensors"));
        Files.writeString(src.resolve("config.json"), Files.readString(fixture.resolve("config.json"))
                .replace("\"intermediate_size\": 176", "\"intermediate_size\": 180"));
        assertThatThrownBy(() -> OnnxExporter.export(src, tmp.resolve("out"), ExportOptions.builder().setPrecision(Precision.FP32).build()))
                .isInstanceOf(WeightLoadException.class).hasMessageContaining("[176, 64]")
                .hasMessageContaining("expected [180, 64]");
    }

    @Test
    void optionsRejectBadValuesNamingTheField() {
        ExportOptions.Builder fp32 = ExportOptions.builder().setPrecision(Precision.FP32);
        assertThatThrownBy(() -> fp32.optBlockSize(48)).hasMessageContaining("blockSize")
                .hasMessageContaining("power of two");
        assertThatThrownBy(() -> fp32.optAccuracyLevel(5)).hasMessageContaining("accuracyLevel must be 0..4");
        assertThatThrownBy(() -> fp32.optInt8Encoding(null)).hasMessageContaining("int8Encoding");
        assertThatThrownBy(() -> ExportOptions.builder().setPrecision(null)).hasMessageContaining("precision");
        // Required: build() fails fast when the precision was never set.
        assertThatThrownBy(() -> ExportOptions.builder().optBlockSize(64).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("precision must be set");
        // The record's own constructor runs the same checks, so no instance bypasses them.
        assertThatThrownBy(() -> new ExportOptions(Precision.INT4, 24, 4, null, true, true, true, Int8Encoding.U8))
                .hasMessageContaining("blockSize");
    }

    @Test
    void builderDefaultsAndToBuilder() {
        ExportOptions int4 = ExportOptions.builder().setPrecision(Precision.INT4).build();
        assertThat(int4).isEqualTo(new ExportOptions(Precision.INT4, ExportOptions.DEFAULT_BLOCK_SIZE,
                ExportOptions.DEFAULT_ACCURACY_LEVEL, null, true, true, true, Int8Encoding.U8));
        ExportOptions head8 = int4.toBuilder().optLmHeadPrecision(Precision.INT8).optBlockSize(128).build();
        assertThat(head8.effectiveLmHeadPrecision()).isEqualTo(Precision.INT8);
        assertThat(head8.blockSize()).isEqualTo(128);
        assertThat(head8.toBuilder().build()).isEqualTo(head8);
        assertThat(int4.effectiveLmHeadPrecision()).isEqualTo(Precision.INT4);
    }

    /** A source with one tensor removed. */
    private record Hiding(TensorSource inner, String hidden) implements TensorSource {
        @Override
        public Set<String> names() {
            return inner.names().stream().filter(n -> !n.equals(hidden)).collect(Collectors.toSet());
        }

        @Override
        public boolean contains(String name) {
            return !name.equals(hidden) && inner.contains(name);
        }

        @Override
        public TensorInfo info(String name) {
            return inner.info(name);
        }

        @Override
        public float[] floats(String name) {
            return inner.floats(name);
        }

        @Override
        public void close() {}
    }
}
