package dev.billionllm.bench.report;

import dev.billionllm.bench.mmlu.MmluResult;
import dev.billionllm.bench.score.PerplexityResult;
import dev.billionllm.bench.speed.Environment;
import dev.billionllm.bench.speed.MemorySnapshot;
import dev.billionllm.bench.speed.SpeedResult;
import java.util.List;

/**
 * Everything measured on one model in one run.
 *
 * @param model model name ("tinyllama")
 * @param backend backend name ("pytorch")
 * @param device device the backend ran on ("cpu")
 * @param threads intra-op threads asked for (0 = engine default)
 * @param randomWeights the weights were random, not the checkpoint's: speed and memory are
 *     representative, accuracy and perplexity are not; every table and chart says so
 * @param parameterCount parameters implied by the config
 * @param weightBytes bytes of the weights as the backend holds them
 * @param loadSeconds time to build or load the model
 * @param speed speed tests (empty when skipped)
 * @param memory process memory after the tests
 * @param mmlu MMLU scores, or null when skipped
 * @param perplexity perplexity, or null when skipped
 * @param environment machine and library versions
 * @param timestamp ISO-8601 time the run finished
 */
public record ModelReport(String model, String backend, String device, int threads, boolean randomWeights,
        long parameterCount, long weightBytes, double loadSeconds, List<SpeedResult> speed, MemorySnapshot memory,
        MmluResult mmlu, PerplexityResult perplexity, Environment environment, String timestamp) {

    public ModelReport {
        speed = List.copyOf(speed);
    }

    /** The model name as tables and charts show it: marked when the weights are random. */
    public String label() {
        return randomWeights ? model + " (random weights)" : model;
    }
}
