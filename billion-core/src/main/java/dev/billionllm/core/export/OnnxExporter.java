package dev.billionllm.core.export;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.arch.ArchitectureDeclaration;
import dev.billionllm.core.arch.Architectures;
import dev.billionllm.core.arch.CheckpointReader;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a Hugging Face model folder (config.json + safetensors) into a folder the ONNX Runtime
 * backend loads: {@code model.onnx} with weights in {@code model.onnx_data}, the tokenizer and
 * config files, and {@value #METADATA_FILE} saying how it was built.
 *
 * <pre>{@code
 * OnnxExporter.export(Path.of("models/tinyllama"), Path.of("models/tinyllama-int4"),
 *         ExportOptions.builder().setPrecision(Precision.INT4).build());
 * try (CausalLM lm = Backends.get("onnxruntime").load(dst, ModelConfigParser.parse(dst), LoadOptions.defaults())) {
 *     ...
 * }
 * }</pre>
 */
public final class OnnxExporter {

    /** The graph file the backend's default variant loads. */
    public static final String MODEL_FILE = "model.onnx";
    /** External weights, next to the graph. */
    public static final String DATA_FILE = "model.onnx_data";
    /** How the folder was built (JSON). */
    public static final String METADATA_FILE = "billion-export.json";
    /** Bumped whenever the graph changes in a way a user could see. */
    public static final int BUILDER_VERSION = 3;
    /** Default-domain opset: LayerNormalization needs 17; ONNX Runtime 1.21 supports it. */
    static final long OPSET = 17;

    /** Files copied from the source folder when present. */
    private static final List<String> COPIED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt",
            "added_tokens.json", "chat_template.jinja", "chat_template.json");

    private OnnxExporter() {}

    /**
     * Exports {@code src} into {@code dst} (created if missing; an existing model.onnx there is
     * replaced).
     *
     * @return the metadata written to {@value #METADATA_FILE}
     * @throws UnsupportedModelException for a config.json no family implements (model_type, hidden_act, rope_type)
     * @throws dev.billionllm.core.WeightLoadException for missing or misshapen tensors
     */
    public static Map<String, Object> export(Path src, Path dst, ExportOptions options) {
        return export(ModelConfigParser.parse(src), src, dst, options);
    }

    /**
     * Exports {@code src} with a config already parsed from it, for example with a spec's declared
     * architecture ({@code spec.config(src)}). When that architecture is declared outside the
     * folder, the exported config.json carries the declaration
     * ({@value ArchitectureDeclaration#CONFIG_KEY}), so the export loads on its own.
     */
    public static Map<String, Object> export(ModelConfig config, Path src, Path dst, ExportOptions options) {
        try (TensorSource source = Safetensors.open(src)) {
            return export(config, src, source, src.toAbsolutePath().toString(), dst, options);
        }
    }

    /**
     * {@link #export(ModelConfig, Path, Path, ExportOptions)} reading {@code src}'s weights through
     * {@code weights} (for example wrapped to draw a progress bar, or with LoRA adapters merged in),
     * which the caller opened and closes: the same check of a declared architecture, companion files
     * and declaration.
     *
     * @param sourceName recorded in the metadata (e.g. the folder, or the folder and its adapters)
     */
    public static Map<String, Object> export(ModelConfig config, Path src, TensorSource weights, String sourceName,
            Path dst, ExportOptions options) {
        CheckpointReader.requireAllUsed(weights, config, src.toString());
        Map<String, Object> metadata = export(config, weights, sourceName, dst, options);
        copyCompanions(src, dst);
        declareArchitecture(config, dst);
        return metadata;
    }

    /** Adds a declared (not built-in) architecture to the exported config.json when it lacks one. */
    private static void declareArchitecture(ModelConfig config, Path dst) {
        if (Architectures.find(config.modelType()) != null) {
            return;
        }
        Path file = dst.resolve("config.json");
        JsonObject json = ModelConfigParser.readJson(file);
        if (json.has(ArchitectureDeclaration.CONFIG_KEY)) {
            return;
        }
        json.add(ArchitectureDeclaration.CONFIG_KEY, ArchitectureDeclaration.toJson(config.architecture()));
        try {
            writeAtomically(file, new GsonBuilder().setPrettyPrinting().create().toJson(json));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Exports weights from any {@link TensorSource} under the checkpoint's tensor names (e.g.
     * generated weights for a benchmark). Writes the graph, its data file and the metadata; copies
     * no tokenizer or config files.
     *
     * @param sourceName recorded in the metadata
     */
    public static Map<String, Object> export(ModelConfig config, TensorSource source, String sourceName, Path dst,
            ExportOptions requested) {
        ExportOptions options = supported(config, requested);
        try {
            Files.createDirectories(dst);
            Path dataTmp = dst.resolve(DATA_FILE + ".tmp");
            Path modelTmp = dst.resolve(MODEL_FILE + ".tmp");
            Map<String, Object> metadata = metadata(config, sourceName, options);
            byte[] model;
            long dataBytes;
            try (OnnxGraph graph = new OnnxGraph(dataTmp, DATA_FILE)) {
                new DecoderGraphBuilder(config, new CheckpointReader(source, sourceName), graph, options).build();
                Map<String, String> props = new LinkedHashMap<>();
                metadata.forEach((k, v) -> props.put("billion." + k, String.valueOf(v)));
                model = graph.encode("billion_decoder", Map.of("", OPSET, OnnxGraph.MS_DOMAIN, 1L), "billion-llm",
                        Integer.toString(BUILDER_VERSION), props);
                dataBytes = graph.externalBytes();
            }
            metadata.put("external_data_bytes", dataBytes);
            Files.write(modelTmp, model);
            Files.move(dataTmp, dst.resolve(DATA_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            Files.move(modelTmp, dst.resolve(MODEL_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            writeAtomically(dst.resolve(METADATA_FILE), new GsonBuilder().setPrettyPrinting().create().toJson(metadata));
            return metadata;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export to " + dst, e);
        }
    }

    /**
     * The options this config can run with: ONNX Runtime's GroupQueryAttention rejects a head size
     * that is not a multiple of 8 (group_query_attention_helper.h, CheckInputs), so such models get
     * the standard attention graph; billion-export.json records what was built.
     */
    static ExportOptions supported(ModelConfig config, ExportOptions options) {
        return options.fusedAttention() && config.headDim() % 8 != 0 ? options.toBuilder().optFusedAttention(false).build() : options;
    }

    /**
     * Copies the tokenizer and config files {@link #export} carries along (also used by the LoRA
     * merge, which writes a full model folder).
     */
    public static void copyCompanions(Path src, Path dst) {
        for (String name : COPIED) {
            Path from = src.resolve(name);
            if (Files.isRegularFile(from)) {
                try {
                    Path tmp = dst.resolve(name + ".tmp");
                    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, dst.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot copy " + from + " to " + dst, e);
                }
            }
        }
    }

    private static Map<String, Object> metadata(ModelConfig config, String source, ExportOptions options) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("builder", "billion-llm OnnxExporter");
        m.put("builder_version", BUILDER_VERSION);
        m.put("source", source);
        m.put("model_type", config.modelType());
        m.put("precision", options.precision().name().toLowerCase(java.util.Locale.ROOT));
        m.put("lm_head_precision", options.effectiveLmHeadPrecision().name().toLowerCase(java.util.Locale.ROOT));
        m.put("embedding_precision", "fp32");
        m.put("fused_rotary", options.fusedRotary());
        m.put("fused_attention", options.fusedAttention());
        m.put("skip_norm", options.skipNorm());
        if (options.precision() == Precision.INT8 || options.effectiveLmHeadPrecision() == Precision.INT8) {
            // Absent in exports before builder version 3, which stored full-range int8 (s8).
            m.put("int8_encoding", options.int8Encoding().id());
        }
        if (options.precision() == Precision.INT4 || options.effectiveLmHeadPrecision() == Precision.INT4) {
            m.put("int4_block_size", options.blockSize());
            m.put("int4_accuracy_level", options.accuracyLevel());
        }
        m.put("opset", OPSET);
        m.put("model_file", MODEL_FILE);
        m.put("data_file", DATA_FILE);
        return m;
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
