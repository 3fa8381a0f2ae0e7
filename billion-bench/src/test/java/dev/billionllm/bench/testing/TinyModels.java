package dev.billionllm.bench.testing;

import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.backend.pytorch.PtCausalLM;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.io.safetensors.SafetensorsFile;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.model.WeightReader;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Path;

/** Loads the bundled tiny checkpoints on the PyTorch backend, on CPU. */
public final class TinyModels {

    private TinyModels() {}

    public static CausalLM load(String fixture) {
        Path dir = Fixtures.dir(fixture);
        ModelConfig config = ModelConfigParser.parse(dir.resolve("config.json"));
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            return PtCausalLM.load(config, WeightReader.of(weights, dir.toString()), LoadOptions.defaults().withDevice("cpu"));
        }
    }
}
