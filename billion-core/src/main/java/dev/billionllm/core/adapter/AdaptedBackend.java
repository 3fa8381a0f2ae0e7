package dev.billionllm.core.adapter;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.internal.backend.pytorch.LoraLayers;
import dev.billionllm.core.internal.backend.pytorch.PtAdaptedLM;
import dev.billionllm.core.internal.backend.pytorch.PtBackend;
import dev.billionllm.core.internal.backend.pytorch.PtCausalLM;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.lm.CausalLM;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The PyTorch backend with LoRA adapters: merged into the weights at load ({@code W + s B A}, no
 * cost per token) or unmerged ({@link LoraLayers}: base weights untouched, adapters removable and
 * swappable through {@link Adapted}). {@code Model.load} uses it when {@code LoadOptions} name adapters.
 *
 * <pre>{@code
 * try (Model m = Model.load(folder, LoadOptions.builder().optAdapter(adapterDir).build())) {
 *     ((AdaptedBackend.Adapted) m.lm()).clearAdapters();   // back to the base model
 * }
 * }</pre>
 */
public final class AdaptedBackend implements Backend {
    private final PtBackend pytorch = new PtBackend();
    private final List<Path> adapterDirs;
    private final boolean merged;

    private AdaptedBackend(List<Path> adapterDirs, boolean merged) {
        if (adapterDirs.isEmpty()) {
            throw new IllegalArgumentException("no adapter folder given");
        }
        this.adapterDirs = List.copyOf(adapterDirs);
        this.merged = merged;
    }

    /** Adapters folded into the weights at load. */
    public static AdaptedBackend merged(List<Path> adapterDirs) {
        return new AdaptedBackend(adapterDirs, true);
    }

    /** Adapters applied beside the frozen base weights. */
    public static AdaptedBackend unmerged(List<Path> adapterDirs) {
        return new AdaptedBackend(adapterDirs, false);
    }

    /** The backend name with adapters: only PyTorch runs them (export merged adapters for ONNX Runtime). */
    public static AdaptedBackend of(String backend, List<Path> adapterDirs, boolean merged) {
        if (backend != null && !backend.equals("pytorch")) {
            throw new ConfigException("adapters run on the pytorch backend; for " + backend
                    + " export a merged model first: billion export --adapter DIR -m MODEL -o OUT");
        }
        return new AdaptedBackend(adapterDirs, merged);
    }

    @Override
    public String name() {
        return pytorch.name();
    }

    @Override
    public boolean canLoad(Path folder) {
        return pytorch.canLoad(folder);
    }

    @Override
    public java.util.Set<String> optionNames() {
        return pytorch.optionNames();
    }

    @Override
    public void checkOptions(java.util.Map<String, String> options) {
        pytorch.checkOptions(options);
    }

    @Override
    public CausalLM load(Path folder, ModelConfig config, LoadOptions options) {
        List<LoraAdapter> adapters = new ArrayList<>();
        for (Path dir : adapterDirs) {
            adapters.add(LoraAdapter.load(dir));
        }
        if (merged) {
            try (TensorSource weights = MergedTensorSource.of(PtBackend.openWeights(folder, config), config, adapters)) {
                return PtCausalLM.load(config, WeightReader.of(weights, folder.toString()), options);
            }
        }
        LoraLayers layers = LoraLayers.of(config);
        for (LoraAdapter a : adapters) {
            a.checkAgainst(layers.targets()); // fail before reading the base weights
        }
        try (TensorSource weights = PtBackend.openWeights(folder, config)) {
            return PtAdaptedLM.load(config, weights, folder.toString(), options, layers, adapters);
        }
    }

    /**
     * A model with unmerged adapters; closing it frees the adapters and the base weights. The
     * PyTorch backend implements it (internal), so no engine type shows here.
     */
    public interface Adapted extends CausalLM {
        /** Removes every adapter: the model computes the base projections again. Call between passes. */
        void clearAdapters();

        /**
         * Replaces the active adapters with {@code adapters} (none: the base model). Call between passes.
         *
         * @throws dev.billionllm.core.WeightLoadException if one does not fit this model (the old ones stay)
         */
        void setAdapters(List<LoraAdapter> adapters);

        /** PEFT module names that have an active adapter. */
        java.util.Set<String> activeModules();
    }
}
