package dev.billionllm.core.backend;

import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.lm.CausalLM;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Service-provider interface of an inference engine. Implementations are listed in
 * {@code META-INF/services/dev.billionllm.core.backend.Backend} and found by {@link Backends};
 * users reach them through {@code Model.load} and {@link LoadOptions.Builder#optBackend(String)}.
 */
public interface Backend {

    /** Short name users pass with {@code --backend} ("pytorch", "onnxruntime"). */
    String name();

    /**
     * Whether this backend's engine is on the class path. billion-core declares each engine an
     * optional dependency, so an installation may have one of them only; unavailable backends are
     * left out of {@link Backends#all()}. True unless overridden.
     */
    default boolean available() {
        return true;
    }

    /** Whether {@code folder} holds weights this backend reads (safetensors, an ONNX file, ...). */
    boolean canLoad(Path folder);

    /**
     * Loads the weights in {@code folder}.
     *
     * @param folder model folder
     * @param config its parsed config.json
     * @param options device, threads, variant and this backend's options
     */
    CausalLM load(Path folder, ModelConfig config, LoadOptions options);

    /** Keys of {@link LoadOptions#backendOptions()} this backend reads; none unless overridden. */
    default Set<String> optionNames() {
        return Set.of();
    }

    /**
     * Rejects backend options this backend does not read; implementations also check the values.
     *
     * @throws IllegalArgumentException naming the key and what this backend reads
     */
    default void checkOptions(Map<String, String> options) {
        for (String key : options.keySet()) {
            if (!optionNames().contains(key)) {
                throw new IllegalArgumentException("backend \"" + name() + "\" has no option \"" + key + "\"; "
                        + (optionNames().isEmpty() ? "it reads none" : "it reads " + new TreeSet<>(optionNames())));
            }
        }
    }
}
