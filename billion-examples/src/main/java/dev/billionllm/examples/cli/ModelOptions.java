package dev.billionllm.examples.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.Model;
import dev.billionllm.core.ModelResolver;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
            description = "pytorch or onnxruntime (default: generate, chat and compare run safetensors models "
                    + "through a cached ONNX export at --precision; other commands use pytorch).")
    String backend;

    @Option(names = "--precision", paramLabel = "P",
            description = "AUTO, FP32, INT8 or INT4: runs a safetensors model through an ONNX export at this precision "
                    + "(AUTO: the fastest that keeps quality on this CPU), "
                    + "built once and cached (see billion cache); FP32 without --backend is the exact PyTorch path "
                    + "(default for generate, chat, compare: INT8).")
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
     * Loads the model as named, saying on {@code err} when a bundled model stands in: PyTorch for
     * safetensors unless {@code --precision} asks for an export (measurement commands).
     */
    Model load(PrintWriter err) {
        return load(model, err, false);
    }

    /**
     * Loads the model for generation: safetensors models run through the cached ONNX export that
     * {@code Model.load} picks for {@code Precision.AUTO} unless {@code --backend pytorch} or {@code --precision fp32} says
     * otherwise; the export is built on first use with a progress bar on {@code err}.
     */
    Model loadForGeneration(PrintWriter err) {
        return load(model, err, true);
    }

    Model loadForGeneration(String reference, PrintWriter err) {
        return load(reference, err, true);
    }

    private Model load(String reference, PrintWriter err, boolean fastByDefault) {
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
        noteBundled(reference, err);
        Model m = Model.load(reference, builder.build());
        if (m.precisionReason().isPresent() && !reasonPrinted) {
            err.println("[" + m.precisionReason().get() + "]");
            err.flush();
            reasonPrinted = true;
        }
        return m;
    }

    /**
     * The name to show for a loaded model: its folder, or for a cached export the folder it was
     * exported from and the precision ({@code tiny-tinyllama (int8)}).
     */
    static String displayName(Model m) {
        Path metadata = m.folder().resolve(OnnxExporter.METADATA_FILE);
        if (Files.isRegularFile(metadata)) {
            try {
                JsonObject meta = JsonParser.parseString(Files.readString(metadata, StandardCharsets.UTF_8))
                        .getAsJsonObject();
                if (meta.has("source") && meta.has("precision")) {
                    Path source = Path.of(meta.get("source").getAsString()).getFileName();
                    return source + " (" + meta.get("precision").getAsString().toLowerCase(Locale.ROOT) + ")";
                }
            } catch (IOException | RuntimeException e) {
                // A foreign or damaged metadata file: fall back to the folder name.
            }
        }
        return m.folder().getFileName().toString();
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
