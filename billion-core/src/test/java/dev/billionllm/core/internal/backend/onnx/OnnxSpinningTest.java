package dev.billionllm.core.internal.backend.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OnnxSpinningTest {

    @Test
    void sessionsWithoutSpinningComputeTheSameLogits() {
        Path dir = Fixtures.dir("tiny-tinyllama-onnx");
        float[] spinning = lastLogits(dir, "true");
        assertThat(lastLogits(dir, "false")).containsExactly(spinning);
        assertThat(OnnxBackend.DEFAULT_SPINNING).as("spinning is off unless asked for").isEqualTo("false");
    }

    private static float[] lastLogits(Path dir, String spinning) {
        try (CausalLM lm = new OnnxBackend().load(dir, ModelConfigParser.parse(dir), LoadOptions.builder()
                .optThreads(1).optBackendOption(OnnxBackend.SPINNING, spinning).build());
                KvCache cache = lm.newCache(1, 8)) {
            return lm.forward(TokenBatch.of(1, 705, 624), cache, LogitsMode.LAST).last(0);
        }
    }
}
