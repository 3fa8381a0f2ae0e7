package dev.billionllm.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.export.Int8Encoding;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.platform.CpuFeatures;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FastPathTest {
    final Path safetensors = Fixtures.dir("tiny-tinyllama");
    final Path onnx = Fixtures.dir("tiny-tinyllama-onnx");

    @Test
    void safetensorsRunsTheInt8ExportByDefaultAndSaysWhy() {
        FastPath p = FastPath.choose(safetensors, null, null);
        assertThat(p.backend()).isEqualTo("onnxruntime");
        assertThat(p.export().precision()).isEqualTo(Precision.INT8);
        assertThat(p.export().int8Encoding()).isEqualTo(Int8Encoding.fastestExact(CpuFeatures.current()));
        assertThat(p.reason()).startsWith("int8 ONNX export (default").contains("KL").contains("--precision");
    }

    @Test
    void fp32AndPytorchKeepTheExactPath() {
        assertThat(FastPath.choose(safetensors, null, Precision.FP32)).isEqualTo(new FastPath("pytorch", null, null));
        assertThat(FastPath.choose(safetensors, "pytorch", null).exports()).isFalse();
        assertThat(FastPath.choose(safetensors, "pytorch", Precision.FP32).exports()).isFalse();
        assertThatThrownBy(() -> FastPath.choose(safetensors, "pytorch", Precision.INT4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fp32 only");
    }

    @Test
    void namedPrecisionsAndOnnxFolders() {
        assertThat(FastPath.choose(safetensors, null, Precision.INT4).export().precision()).isEqualTo(Precision.INT4);
        assertThat(FastPath.choose(safetensors, "onnxruntime", Precision.FP32).export().precision())
                .isEqualTo(Precision.FP32);
        assertThat(FastPath.choose(onnx, null, null)).isEqualTo(new FastPath(null, null, null));
        assertThatThrownBy(() -> FastPath.choose(onnx, null, Precision.INT8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no safetensors");
    }
}
