package dev.billionllm.bench;

import ai.djl.engine.Engine;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.internal.backend.pytorch.PtCausalLM;
import dev.billionllm.core.internal.model.WeightReader;

/**
 * Full-size models with random weights on the PyTorch backend, so that speed and memory can be
 * measured for any config without downloading a checkpoint. Matrices are Normal(0, 0.02) and
 * vectors (norm weights, biases) are ones ({@link WeightReader#random()}), seeded here. Reports made with these models are marked "random weights".
 *
 * <p>The only engine-aware class of billion-bench; everything else measures through
 * {@link dev.billionllm.core.lm.CausalLM}.
 */
public final class RandomWeights {

    private RandomWeights() {}

    /** A source that builds {@code config} with random weights each time it is loaded. */
    public static Benchmark.ModelSource source(ModelConfig config, LoadOptions options, long seed) {
        return () -> {
            Engine.getEngine("PyTorch").setRandomSeed((int) seed);
            return PtCausalLM.load(config, WeightReader.random(), options);
        };
    }
}
