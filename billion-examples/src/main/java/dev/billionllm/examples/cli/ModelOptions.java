package dev.billionllm.examples.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.Model;
import dev.billionllm.core.ModelResolver;
import dev.billionllm.core.export.OnnxExporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Mixin;
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

    /** How it is loaded: backend, precision, device, threads, adapters, ... (shared with serve). */
    @Mixin
    LoadFlags flags = new LoadFlags();

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
        return flags.load(reference, err, fastByDefault);
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

    /** The folder {@code reference} names (spec id, folder or bundled name), noting a bundled one on {@code err}. */
    static Path resolve(String reference, PrintWriter err) {
        noteBundled(reference, err);
        return ModelResolver.fromEnvironment().resolve(reference);
    }
}
