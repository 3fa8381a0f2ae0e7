package dev.billionllm.examples.cli;

import dev.billionllm.core.Model;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.export.Precision;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How a model is loaded, whichever model it is: the options every command that runs models shares
 * (through {@link ModelOptions}, which adds the one {@code -m}, and {@code serve}, which takes
 * several). One place turns them into {@link LoadOptions}, so {@code serve -m A -m B} loads each
 * model exactly as {@code generate -m A} would.
 */
final class LoadFlags {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "pytorch or onnxruntime (default: generate, chat, compare and serve run safetensors models "
                    + "through a cached ONNX export at --precision; other commands use pytorch).")
    String backend;

    @Option(names = "--precision", paramLabel = "P",
            description = "AUTO, FP32, INT8 or INT4: runs a safetensors model through an ONNX export at this precision "
                    + "(AUTO: the fastest that keeps quality on this CPU), "
                    + "built once and cached (see billion cache); FP32 without --backend is the exact PyTorch path "
                    + "(default for generate, chat, compare, serve: AUTO, int8 today).")
    Precision precision;

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu, gpu or gpu:N (default: engine default).")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Intra-op threads, at most 4 x the available processors; 0 = engine default.")
    int threads;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "ONNX file variant: fp32, quantized, int8, q4, q4f16, fp16 or a file name.")
    String variant;

    @Option(names = "--backend-option", paramLabel = "KEY=VALUE",
            description = "Backend-specific option, repeatable; onnxruntime reads optimization=none|basic|extended|all "
                    + "and spinning=true|false.")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    @Option(names = "--adapter", paramLabel = "DIR",
            description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors); repeat to "
                    + "stack adapters. Runs on the pytorch backend, unmerged unless --merge-adapter.")
    List<Path> adapters = new ArrayList<>();

    @Option(names = "--merge-adapter",
            description = "Fold the adapters into the weights at load (W + scale*B*A): no per-token cost.")
    boolean mergeAdapter;

    /** Whether the fast path's choice was printed already (once per command, not per model). */
    private boolean reasonPrinted;

    /**
     * Loads {@code reference}: through the cached export {@code Model.load} picks
     * ({@code Precision.AUTO}) when {@code fastByDefault} (generation) unless {@code --precision}
     * or {@code --backend} says otherwise; measurement commands only when {@code --precision} asks.
     * The choice's reason goes to {@code err} once per command.
     */
    Model load(String reference, PrintWriter err, boolean fastByDefault) {
        LoadOptions.Builder builder = LoadOptions.builder().optBackend(backend).optDevice(device).optThreads(threads)
                .optVariant(variant);
        backendOptions.forEach(builder::optBackendOption);
        builder.optMergeAdapters(mergeAdapter);
        adapters.forEach(builder::optAdapter);
        // Generation runs safetensors models through the cached export Model.load picks (AUTO)
        // unless --precision or --backend says otherwise; measurement commands only when asked.
        if (fastByDefault || precision != null) {
            builder.optPrecision(precision == null ? Precision.AUTO : precision).optExportProgress(err);
        }
        ModelOptions.noteBundled(reference, err);
        Model m = Model.load(reference, builder.build());
        if (m.precisionReason().isPresent() && !reasonPrinted) {
            err.println("[" + m.precisionReason().get() + "]");
            err.flush();
            reasonPrinted = true;
        }
        return m;
    }

}
