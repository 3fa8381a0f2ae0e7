package dev.billionllm.examples.cli;

import dev.billionllm.core.generate.GenerationConfig;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Every option of {@link GenerationConfig}. Unset options keep the model's generation_config.json
 * defaults (greedy when it has none).
 */
final class SamplingOptions {
    @Option(names = {"-n", "--max-new-tokens"}, paramLabel = "N", description = "Tokens to generate at most.")
    Integer maxNewTokens;

    @Option(names = {"-t", "--temperature"}, paramLabel = "T", description = "0 = greedy.")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens (0 = off).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass in (0, 1].")
    Double topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Drop tokens below P x the top probability.")
    Double minP;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "HF repetition penalty (1 = off).")
    Double repetitionPenalty;

    @Option(names = "--seed", paramLabel = "SEED", description = "Seed for sampling (same seed, same output).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable); not included in the output.")
    List<String> stop;

    @Option(names = "--greedy", description = "Greedy decoding regardless of the model's defaults.")
    boolean greedy;

    /** The model's defaults overridden by whatever the user set. */
    GenerationConfig apply(GenerationConfig base) {
        GenerationConfig.Builder b = base.toBuilder();
        if (maxNewTokens != null) {
            b.optMaxNewTokens(maxNewTokens);
        }
        if (temperature != null) {
            b.optTemperature(temperature);
        }
        if (greedy) {
            b.optTemperature(0);
        }
        if (topK != null) {
            b.optTopK(topK);
        }
        if (topP != null) {
            b.optTopP(topP);
        }
        if (minP != null) {
            b.optMinP(minP);
        }
        if (repetitionPenalty != null) {
            b.optRepetitionPenalty(repetitionPenalty);
        }
        if (seed != null) {
            b.optSeed(seed);
        }
        if (stop != null && !stop.isEmpty()) {
            b.optStopStrings(stop);
        }
        return b.build();
    }
}
