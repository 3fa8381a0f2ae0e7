package dev.billionllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.cache.ExportCache;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code LoadOptions.optPrecision}: the library's way onto the fast path (issue 19). A copy of the
 * fixture has its own fingerprint, and each test has its own cache, so the first load really exports.
 */
class ModelPrecisionTest {
    private static final GenerationConfig GREEDY = GenerationConfig.builder().optMaxNewTokens(12).build();
    private static final String PROMPT = "the cat sat on";

    @Test
    void autoExportsOnFirstLoadAndReusesTheExportAfter(@TempDir Path tmp) throws IOException {
        Path model = copy(Fixtures.dir("tiny-tinyllama"), tmp.resolve("fresh-tinyllama"));
        Path cacheDir = tmp.resolve("cache");
        StringWriter firstProgress = new StringWriter();
        LoadOptions auto = LoadOptions.builder().optPrecision(Precision.AUTO).optExportCacheDir(cacheDir)
                .optExportProgress(new PrintWriter(firstProgress, true)).build();
        List<Integer> firstIds;
        Path exportFolder;
        FileTime built;
        try (Model m = Model.load(model.toString(), auto)) { // by name: a folder given as a string
            assertThat(m.backend()).isEqualTo("onnxruntime");
            assertThat(m.precisionReason()).hasValueSatisfying(r -> assertThat(r).startsWith("int8 ONNX export (default"));
            assertThat(m.folder()).startsWith(cacheDir);
            assertThat(firstProgress.toString()).contains("export int8 fresh-tinyllama").contains("export cached at");
            firstIds = m.generator().generate(PROMPT, GREEDY).tokenIds();
            exportFolder = m.folder();
            built = Files.getLastModifiedTime(exportFolder.resolve(OnnxExporter.MODEL_FILE));
        }
        assertThat(ExportCache.at(cacheDir).list()).hasSize(1);

        StringWriter secondProgress = new StringWriter();
        try (Model again = Model.load(model, auto.toBuilder().optExportProgress(new PrintWriter(secondProgress, true))
                .build())) {
            assertThat(again.folder()).isEqualTo(exportFolder);
            assertThat(secondProgress.toString()).as("no second export").isEmpty();
            assertThat(Files.getLastModifiedTime(exportFolder.resolve(OnnxExporter.MODEL_FILE))).isEqualTo(built);
            assertThat(again.generator().generate(PROMPT, GREEDY).tokenIds()).isEqualTo(firstIds);
        }
        assertThat(ExportCache.at(cacheDir).list()).hasSize(1);
    }

    @Test
    void int4IsItsOwnExportAndItsReasonSaysTheCallerChoseIt(@TempDir Path tmp) {
        Path cacheDir = tmp.resolve("cache");
        try (Model m = Model.load(Fixtures.dir("tiny-tinyllama"), LoadOptions.builder()
                .optPrecision(Precision.INT4).optExportCacheDir(cacheDir).build())) {
            assertThat(m.backend()).isEqualTo("onnxruntime");
            assertThat(m.precisionReason()).hasValue("int4 ONNX export (precision named by the caller)");
            assertThat(m.generator().generate(PROMPT, GREEDY).tokenIds()).isNotEmpty();
        }
        assertThat(ExportCache.at(cacheDir).list()).singleElement()
                .satisfies(e -> assertThat(e.optionsKey()).startsWith("int4-b32"));
    }

    @Test
    void fp32StaysTheExactPytorchPathAndExportsNothing(@TempDir Path tmp) {
        Path cacheDir = tmp.resolve("cache");
        Path model = Fixtures.dir("tiny-tinyllama");
        try (Model plain = Model.load(model);
                Model fp32 = Model.load(model, LoadOptions.builder().optPrecision(Precision.FP32)
                        .optExportCacheDir(cacheDir).build())) {
            assertThat(fp32.backend()).isEqualTo("pytorch");
            assertThat(fp32.folder()).isEqualTo(model);
            assertThat(fp32.precisionReason()).isEmpty();
            float[] expected = lastLogits(plain);
            assertThat(lastLogits(fp32)).isEqualTo(expected); // bit for bit: the same path
            assertThat(fp32.generator().generate(PROMPT, GREEDY).tokenIds())
                    .isEqualTo(plain.generator().generate(PROMPT, GREEDY).tokenIds());
        }
        assertThat(Files.exists(cacheDir)).as("no export for fp32").isFalse();
    }

    @Test
    void autoWithAdaptersRunsThemOnPytorchAndSaysSo(@TempDir Path tmp) {
        Path model = Fixtures.dir("tiny-tinyllama");
        LoadOptions.Builder adapted = LoadOptions.builder().optAdapter(Fixtures.dir("tiny-tinyllama-lora-peft"))
                .optExportCacheDir(tmp.resolve("cache"));
        try (Model m = Model.load(model, adapted.optPrecision(Precision.AUTO).build())) {
            assertThat(m.backend()).isEqualTo("pytorch");
            assertThat(m.precisionReason()).hasValueSatisfying(r -> assertThat(r).contains("LoRA adapters"));
        }
    }

    @Test
    void autoLoadsAnOnnxFolderAsItIs(@TempDir Path tmp) {
        try (Model m = Model.load(Fixtures.dir("tiny-tinyllama-onnx"), LoadOptions.builder()
                .optPrecision(Precision.AUTO).optExportCacheDir(tmp.resolve("cache")).build())) {
            assertThat(m.backend()).isEqualTo("onnxruntime");
            assertThat(m.folder()).isEqualTo(Fixtures.dir("tiny-tinyllama-onnx"));
            assertThat(m.precisionReason()).isEmpty();
        }
        assertThat(Files.exists(tmp.resolve("cache"))).isFalse();
    }

    @Test
    void combinationsThatCannotRunAreRefusedNamingTheFix(@TempDir Path tmp) throws IOException {
        Path model = Fixtures.dir("tiny-tinyllama");
        Path cacheDir = tmp.resolve("cache");
        LoadOptions.Builder base = LoadOptions.builder().optExportCacheDir(cacheDir);
        assertThatThrownBy(() -> Model.load(model, base.build().toBuilder().optBackend("pytorch")
                .optPrecision(Precision.INT8).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fp32 only");
        assertThatThrownBy(() -> Model.load(model, base.build().toBuilder().optPrecision(Precision.INT4)
                .optAdapter(Fixtures.dir("tiny-tinyllama-lora-peft")).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("adapters")
                .hasMessageContaining("billion export --adapter");
        assertThatThrownBy(() -> Model.load(model, base.build().toBuilder().optPrecision(Precision.INT8)
                .optVariant("quantized").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("optVariant");
        assertThatThrownBy(() -> Model.load(Fixtures.dir("tiny-tinyllama-onnx"), base.build().toBuilder()
                .optPrecision(Precision.INT8).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("safetensors");
        assertThatThrownBy(() -> ExportOptions.builder().setPrecision(Precision.AUTO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AUTO is for loading");
        assertThat(Files.exists(cacheDir)).as("nothing exported for a refused combination").isFalse();
    }

    private static float[] lastLogits(Model m) {
        int[] ids = m.tokenizer().encode(PROMPT, true);
        try (dev.billionllm.core.lm.KvCache cache = m.lm().newCache(1, ids.length)) {
            return m.lm().forward(dev.billionllm.core.lm.TokenBatch.of(ids), cache,
                    dev.billionllm.core.lm.LogitsMode.LAST).last(0);
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
