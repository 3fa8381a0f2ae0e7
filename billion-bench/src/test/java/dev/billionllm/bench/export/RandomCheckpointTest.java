package dev.billionllm.bench.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.config.Activation;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.config.NormKind;
import dev.billionllm.core.config.RopeConfig;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomCheckpointTest {

    @Test
    void writesTheBenchmarkWeightsAsAFolderOurLoaderReads(@TempDir Path dir) throws Exception {
        // TinyLlama's layout at a small size: same code path, kilobytes instead of gigabytes.
        ModelConfig config = new ModelConfig(Family.LLAMA, 96, 64, 160, 2, 4, 2, 16, 128, NormKind.RMS_NORM, 1e-5,
                MlpKind.GATED, Activation.SILU, RopeConfig.simple(10000), false, false, false, false, false, false,
                false, 1, List.of(2), -1, "float32");
        RandomCheckpoint.write(config, dir);

        ModelConfig read = ModelConfigParser.parse(dir);
        assertThat(read.hiddenSize()).isEqualTo(64);
        assertThat(read.numKeyValueHeads()).isEqualTo(2);
        assertThat(read.intermediateSize()).isEqualTo(160);
        RandomLlamaWeights expected = new RandomLlamaWeights(config);
        try (TensorSource written = Safetensors.open(dir)) {
            assertThat(written.names()).isEqualTo(expected.names());
            for (String name : expected.names()) {
                assertThat(written.floats(name)).as(name).containsExactly(expected.floats(name));
            }
        }
    }
}
