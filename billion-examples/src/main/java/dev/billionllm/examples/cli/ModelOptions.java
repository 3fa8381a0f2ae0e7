package dev.billionllm.examples.cli;

import dev.billionllm.core.Model;
import dev.billionllm.core.ModelResolver;
import dev.billionllm.core.backend.LoadOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options that pick and load a model, shared by every command that runs one. */
final class ModelOptions {
    /** The bundled model used when {@code --model} is not given. */
    static final String DEFAULT_BUNDLED = "tiny-tinyllama";

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "Spec id (tinyllama, llama-3.2-1b, stablelm-2-1.6b, pythia-1b, user specs), "
                    + "Hub repo id (org/name) downloaded with `billion download`, local folder, or a bundled "
                    + "model name (default: ${DEFAULT-VALUE}).",
            defaultValue = DEFAULT_BUNDLED)
    String model;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "pytorch or onnxruntime (default: pytorch for safetensors folders).")
    String backend;

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu, gpu or gpu:N (default: engine default).")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Intra-op threads, at most 4 x the available processors; 0 = engine default.")
    int threads;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "ONNX file variant: fp32, quantized, int8, q4, q4f16, fp16 or a file name.")
    String variant;

    /** Loads the model, saying on {@code err} when a bundled model stands in. */
    Model load(PrintWriter err) {
        return load(model, err);
    }

    Model load(String reference, PrintWriter err) {
        LoadOptions options = LoadOptions.builder().optBackend(backend).optDevice(device).optThreads(threads)
                .optVariant(variant).build();
        noteBundled(reference, err);
        return Model.load(reference, options);
    }

    /** Says on {@code err} when {@code reference} names a bundled toy model, so no one mistakes it for the real one. */
    static void noteBundled(String reference, PrintWriter err) {
        if (err != null && !Files.isDirectory(Path.of(reference))
                && ModelResolver.fromEnvironment().bundled(reference).isPresent()) {
            err.println("[using the bundled small model '" + reference
                    + "' (offline, toy-corpus training); pick another with --model]");
        }
    }
}
