package dev.billionllm.bench.testing;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.testing.Fixtures;

/** Loads the bundled tiny checkpoints through the "pytorch" backend, on CPU, as the benchmark does. */
public final class TinyModels {

    private TinyModels() {}

    public static CausalLM load(String fixture) {
        return Backends.get("pytorch").load(Fixtures.dir(fixture), ModelConfigParser.parse(Fixtures.dir(fixture)),
                LoadOptions.builder().optDevice("cpu").build());
    }
}
