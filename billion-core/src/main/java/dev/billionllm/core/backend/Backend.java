package dev.billionllm.core.backend;

import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.lm.CausalLM;
import java.nio.file.Path;

/**
 * Service-provider interface of an inference engine. Implementations are listed in
 * {@code META-INF/services/dev.billionllm.core.backend.Backend} and found by {@link Backends}.
 */
public interface Backend {

    /** Short name users pass with {@code --backend} ("pytorch", "onnxruntime"). */
    String name();

    /** Whether {@code folder} holds weights this backend reads (safetensors, an ONNX file, ...). */
    boolean canLoad(Path folder);

    /**
     * Loads the weights in {@code folder}.
     *
     * @param folder model folder
     * @param config its parsed config.json
     * @param options device, threads, variant
     */
    CausalLM load(Path folder, ModelConfig config, LoadOptions options);
}
