package dev.billionllm.examples.cli;

import dev.billionllm.core.ModelResolver;
import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.adapter.MergedTensorSource;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.Int8Encoding;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.io.safetensors.Safetensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code billion export}: a safetensors checkpoint into an ONNX decoder folder (Optimum layout)
 * with fp32, int8 or int4 weights, for the fast CPU path of the ONNX Runtime backend.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Build an ONNX decoder (fp32, int8 or int4 weights) from a safetensors model.",
            "Run the result with: billion generate --backend onnxruntime -m OUTPUT ..."})
final class ExportCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", required = true,
            description = "Spec id, downloaded Hub repo id, local folder or bundled model name (safetensors weights).")
    String model;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "Folder to write.")
    Path output;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "INT8",
            description = "FP32, INT8 or INT4 (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--block-size", paramLabel = "N", defaultValue = "" + ExportOptions.DEFAULT_BLOCK_SIZE,
            description = "INT4 block size: 32 (better quality) .. 128 (faster) (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--accuracy-level", paramLabel = "N", defaultValue = "4",
            description = "MatMulNBits accuracy_level 0..4; 4 quantizes activations to int8, much faster (default: ${DEFAULT-VALUE}).")
    int accuracyLevel;

    @Option(names = "--lm-head-precision", paramLabel = "P",
            description = "Precision of the output projection (default: same as --precision).")
    Precision lmHeadPrecision;

    @Option(names = "--int8-encoding", paramLabel = "E", defaultValue = "u8",
            converter = Int8EncodingConverter.class,
            description = "How int8 weights are stored: u8 (uint8 with zero point 128, exact on every x86-64 CPU), "
                    + "s7 (int8 in [-63, 63]: exact everywhere, half the resolution) or s8 (full-range int8: "
                    + "saturates on CPUs without VNNI) (default: ${DEFAULT-VALUE}).")
    Int8Encoding int8Encoding;

    @Option(names = "--standard-attention",
            description = "Attention with standard operators and an explicit mask instead of ONNX Runtime's "
                    + "GroupQueryAttention (slower prefill; needed only for batches where several rows each add "
                    + "several tokens after cached ones, or with padding between new tokens).")
    boolean standardAttention;

    @Option(names = "--adapter", paramLabel = "DIR",
            description = "PEFT LoRA adapter to merge into the weights before export (repeatable).")
    List<Path> adapters = new ArrayList<>();

    @Override
    public Integer call() {
        ModelOptions.noteBundled(model, cli.err);
        ModelResolver.Located located = ModelResolver.fromEnvironment().locate(model);
        Path source = located.folder();
        ExportOptions options = ExportOptions.builder().setPrecision(precision).optBlockSize(blockSize)
                .optAccuracyLevel(accuracyLevel).optLmHeadPrecision(lmHeadPrecision)
                .optFusedAttention(!standardAttention).optInt8Encoding(int8Encoding).build();
        long start = System.nanoTime();
        // Through the spec's declaration, if any, so a declared model_type exports too.
        ModelConfig config = located.config();
        Map<String, Object> metadata;
        if (adapters.isEmpty()) {
            metadata = OnnxExporter.export(config, source, output, options);
        } else {
            try (MergedTensorSource merged = MergedTensorSource.of(Safetensors.open(source), config,
                    adapters.stream().map(LoraAdapter::load).toList())) {
                metadata = OnnxExporter.export(config, source, merged, source.getFileName() + " + LoRA " + adapters,
                        output, options);
            }
        }
        cli.out.println(output);
        cli.err.printf("[exported %s to %s as %s in %.1f s: %s]%n", source.getFileName(), output, precision,
                (System.nanoTime() - start) / 1e9, metadata);
        return 0;
    }

    /** u8 / s7 / s8 in any case. */
    static final class Int8EncodingConverter implements picocli.CommandLine.ITypeConverter<Int8Encoding> {
        @Override
        public Int8Encoding convert(String value) {
            return Int8Encoding.of(value);
        }
    }
}
