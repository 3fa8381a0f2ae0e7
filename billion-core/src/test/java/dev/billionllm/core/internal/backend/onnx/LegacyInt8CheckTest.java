package dev.billionllm.core.internal.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.Int8Encoding;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.platform.CpuFeatures;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports that store full-range int8 are recognised from their own metadata on CPUs that saturate. */
class LegacyInt8CheckTest {

    private static final CpuFeatures AVX2_ONLY = CpuFeatures.parse("model name\t: AMD EPYC 7551\nflags\t\t: avx2\n");
    private static final CpuFeatures VNNI = CpuFeatures.parse("model name\t: AMD EPYC 9B14\nflags\t\t: avx2 avx512_vnni\n");

    @TempDir
    static Path tmp;

    static Map<String, String> metadata(String name, ExportOptions options) throws OrtException {
        Path dst = tmp.resolve(name);
        OnnxExporter.export(Fixtures.dir("tiny-tinyllama"), dst, options);
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                OrtSession s = ortEnvironment().createSession(
                        dst.resolve(OnnxExporter.MODEL_FILE).toString(), so)) {
            return new HashMap<>(s.getMetadata().getCustomMetadata());
        }
    }

    @Test
    void s8ExportsWarnOnlyWhereTheKernelSaturates() throws OrtException {
        Map<String, String> s8 = metadata("s8", ExportOptions.builder().setPrecision(Precision.INT8)
                .optInt8Encoding(Int8Encoding.S8).build());
        Path file = Path.of("q8/model.onnx");
        assertThat(LegacyInt8Check.warning(file, s8, AVX2_ONLY)).hasValueSatisfying(m -> assertThat(m)
                .contains("q8/model.onnx", "int8_encoding s8", "AMD EPYC 7551", "no VNNI", "billion export"));
        assertThat(LegacyInt8Check.warning(file, s8, VNNI)).isEmpty();
    }

    @Test
    void exportsFromBeforeTheEncodingWasRecordedCountAsS8() throws OrtException {
        Map<String, String> old = metadata("old", ExportOptions.builder().setPrecision(Precision.INT8).build());
        old.remove("billion.int8_encoding");
        old.put("billion.builder_version", "2");
        assertThat(LegacyInt8Check.warning(Path.of("m.onnx"), old, AVX2_ONLY))
                .hasValueSatisfying(m -> assertThat(m).contains("builder version 2"));
    }

    @Test
    void portableEncodingsAndOtherPrecisionsNeverWarn() throws OrtException {
        for (Int8Encoding e : new Int8Encoding[] {Int8Encoding.U8, Int8Encoding.S7}) {
            Map<String, String> m = metadata(e.id(), ExportOptions.builder().setPrecision(Precision.INT8)
                    .optInt8Encoding(e).build());
            assertThat(m).containsEntry("billion.int8_encoding", e.id());
            assertThat(LegacyInt8Check.warning(Path.of("m.onnx"), m, AVX2_ONLY)).isEmpty();
        }
        Map<String, String> int4 = metadata("int4", ExportOptions.builder().setPrecision(Precision.INT4).build());
        assertThat(int4).doesNotContainKey("billion.int8_encoding");
        assertThat(LegacyInt8Check.warning(Path.of("m.onnx"), int4, AVX2_ONLY)).isEmpty();
        // An int8 lm_head under int4 is int8 too, and recorded.
        Map<String, String> mixed = metadata("mixed", ExportOptions.builder().setPrecision(Precision.INT4)
                .optLmHeadPrecision(Precision.INT8).optInt8Encoding(Int8Encoding.S8).build());
        assertThat(LegacyInt8Check.warning(Path.of("m.onnx"), mixed, AVX2_ONLY)).isPresent();
    }

    /** DJL's ONNX Runtime engine first, as OnnxBackend does: it must create the one environment. */
    private static OrtEnvironment ortEnvironment() {
        ai.djl.engine.Engine.getEngine("OnnxRuntime");
        return OrtEnvironment.getEnvironment();
    }
}
