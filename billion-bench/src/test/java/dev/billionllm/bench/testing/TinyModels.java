package dev.billionllm.bench.testing;

import dev.billionllm.bench.Benchmark;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.testing.Fixtures;

/** Loads the bundled tiny checkpoints through the "pytorch" backend, on CPU, as the benchmark does. */
public final class TinyModels {

    private TinyModels() {}

    public static CausalLM load(String fixture) {
        return Benchmark.fromFolder(Fixtures.dir(fixture), "pytorch", LoadOptions.defaults().withDevice("cpu")).load();
    }
}
