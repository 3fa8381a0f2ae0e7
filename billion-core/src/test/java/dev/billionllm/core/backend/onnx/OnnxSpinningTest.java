package dev.billionllm.core.backend.onnx;

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
    void sessionsWithAndWithoutSpinningComputeTheSameLogits() {
        Path dir = Fixtures.dir("tiny-tinyllama-onnx");
        String old = System.getProperty(OnnxBackend.SPINNING_PROPERTY);
        System.clearProperty(OnnxBackend.SPINNING_PROPERTY);
        try {
            assertThat(OnnxBackend.spinningAllowed()).as("spinning is off unless asked for").isFalse();
            float[] quiet = lastLogits(dir);
            System.setProperty(OnnxBackend.SPINNING_PROPERTY, "true");
            assertThat(OnnxBackend.spinningAllowed()).isTrue();
            assertThat(lastLogits(dir)).containsExactly(quiet);
        } finally {
            if (old == null) {
                System.clearProperty(OnnxBackend.SPINNING_PROPERTY);
            } else {
                System.setProperty(OnnxBackend.SPINNING_PROPERTY, old);
            }
        }
    }

    private static float[] lastLogits(Path dir) {
        try (CausalLM lm = new OnnxBackend().load(dir, ModelConfigParser.parse(dir), LoadOptions.defaults().withThreads(1));
                KvCache cache = lm.newCache(1, 8)) {
            return lm.forward(TokenBatch.of(1, 705, 624), cache, LogitsMode.LAST).last(0);
        }
    }
}
