package dev.billionllm.core.internal.backend.pytorch;

import ai.djl.engine.Engine;
import dev.billionllm.core.arch.CheckpointReader;
import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ConfigValidation;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.lm.CausalLM;
import java.nio.file.Path;

/**
 * The "pytorch" backend: safetensors weights (one file or shards), widened to fp32 in Java, run by
 * {@link PtCausalLM} on DJL's PyTorch engine. Found through {@code ServiceLoader}.
 *
 * <pre>{@code
 * try (Model model = Model.load(folder, LoadOptions.builder().optBackend("pytorch").optThreads(2).build())) { ... }
 * }</pre>
 *
 * <p>{@link LoadOptions#threads()} sets torch's intra-op thread count, which is process-wide. It
 * reads no backend options.
 */
public final class PtBackend implements Backend {

    @Override
    public String name() {
        return "pytorch";
    }

    @Override
    public boolean available() {
        return Engine.hasEngine("PyTorch");
    }

    @Override
    public boolean canLoad(Path folder) {
        return Safetensors.present(folder);
    }

    @Override
    public CausalLM load(Path folder, ModelConfig config, LoadOptions options) {
        checkOptions(options.backendOptions());
        // A config built in code skipped the parser's checks; sizes are allocated from it below.
        ConfigValidation.check(config, "the ModelConfig for " + folder);
        // The weights are copied into engine memory, so the mapped files can be closed right after.
        try (TensorSource weights = Safetensors.open(folder)) {
            CheckpointReader.requireAllUsed(weights, config, folder.toString());
            return PtCausalLM.load(config, WeightReader.of(weights, folder.toString()), options);
        }
    }
}
