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
        // The weights are copied into engine memory, so the mapped files can be closed right after.
        try (TensorSource weights = openWeights(folder, config)) {
            return PtCausalLM.load(config, WeightReader.of(weights, folder.toString()), options);
        }
    }

    /**
     * The safetensors weights of {@code folder}, after the checks every PyTorch load makes, with or
     * without adapters: the config is valid, and a declared architecture uses every tensor.
     *
     * @throws dev.billionllm.core.UnsupportedModelException if the checkpoint has tensors a declared
     *     architecture does not use
     */
    public static TensorSource openWeights(Path folder, ModelConfig config) {
        // A config built in code skipped the parser's checks; sizes are allocated from it.
        ConfigValidation.check(config, "the ModelConfig for " + folder);
        TensorSource weights = Safetensors.open(folder);
        try {
            CheckpointReader.requireAllUsed(weights, config, folder.toString());
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        return weights;
    }
}
