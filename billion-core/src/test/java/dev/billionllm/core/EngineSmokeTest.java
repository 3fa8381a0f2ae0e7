package dev.billionllm.core;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** Both engines start offline from the bundled native libraries. */
class EngineSmokeTest {

    @Test
    void pytorchEngineComputesOffline() {
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager manager = engine.newBaseManager()) {
            NDArray a = manager.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
            assertThat(a.matMul(a).toFloatArray()).containsExactly(7, 10, 15, 22);
        }
    }

    @Test
    void onnxRuntimeEngineStarts() {
        assertThat(Engine.getEngine("OnnxRuntime").getEngineName()).isEqualTo("OnnxRuntime");
    }
}
