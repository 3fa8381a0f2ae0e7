package dev.billionllm.bench.export;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.Activation;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.NormKind;
import dev.billionllm.core.config.RopeConfig;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.Int8Encoding;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.internal.backend.onnx.OnnxBackend;
import dev.billionllm.core.internal.backend.pytorch.PtCausalLM;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.platform.CpuFeatures;
import dev.billionllm.core.platform.ProcessMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Speed of exported ONNX decoders on a TinyLlama-1.1B-shaped model with random weights, next to
 * the PyTorch backend at fp32: for each precision, export, load, then time a 128-token prefill (pp128) and 128 single-token decode
 * steps with the KV cache (tg128), llama-bench style, and print the resident memory.
 *
 * <pre>
 * java -cp ... dev.billionllm.bench.export.OnnxExportBench [--work DIR] [--threads N]
 *     [--layers N] [--precisions pytorch,fp32,int8,int4] [--block-size 32] [--runs 2] [--keep] [--reuse]
 *     [--plain-rotary] [--plain-attention] [--plain-norm]
 * </pre>
 *
 * <p>{@code --plain-rotary}, {@code --plain-attention} and {@code --plain-norm} replace the default
 * graph's contrib operators by standard ones (see {@link ExportOptions}); each combination gets its own folder under {@code --work},
 * so with {@code --reuse} (which implies {@code --keep}) alternating runs of several graphs export
 * each one once.
 */
public final class OnnxExportBench {

    private OnnxExportBench() {}

    /** TinyLlama-1.1B-Chat-v1.0's architecture ({@code layers} may be cut for a quick run). */
    /** TinyLlama-1.1B's shape with {@code layers} decoder layers. */
    public static ModelConfig tinyLlama(int layers) {
        return new ModelConfig(Family.LLAMA, 32000, 2048, 5632, layers, 32, 4, 64, 2048, NormKind.RMS_NORM, 1e-5,
                MlpKind.GATED, Activation.SILU, RopeConfig.simple(10000), false, false, false, false, false, false,
                false, 1, List.of(2), -1, "bfloat16");
    }

    public static void main(String[] args) throws IOException {
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "billion-export-bench");
        int threads = Runtime.getRuntime().availableProcessors();
        int layers = 22;
        int blockSize = ExportOptions.DEFAULT_BLOCK_SIZE;
        int runs = 2;
        boolean keep = false;
        boolean reuse = false;
        ExportOptions defaults = ExportOptions.builder().setPrecision(Precision.FP32).build();
        boolean fusedRotary = defaults.fusedRotary();
        boolean fusedAttention = defaults.fusedAttention();
        boolean skipNorm = defaults.skipNorm();
        Int8Encoding int8Encoding = defaults.int8Encoding();
        List<String> variants = List.of("pytorch", "fp32", "int8", "int4");
        for (int a = 0; a < args.length; a++) {
            switch (args[a]) {
                case "--work" -> work = Path.of(args[++a]);
                case "--threads" -> threads = Integer.parseInt(args[++a]);
                case "--layers" -> layers = Integer.parseInt(args[++a]);
                case "--block-size" -> blockSize = Integer.parseInt(args[++a]);
                case "--runs" -> runs = Integer.parseInt(args[++a]);
                case "--keep" -> keep = true;
                case "--reuse" -> {
                    reuse = true;
                    keep = true;
                }
                case "--plain-rotary" -> fusedRotary = false;
                case "--plain-attention" -> fusedAttention = false;
                case "--plain-norm" -> skipNorm = false;
                case "--int8-encoding" -> int8Encoding = Int8Encoding.of(args[++a]);
                case "--precisions" -> variants = List.of(args[++a].toLowerCase(java.util.Locale.ROOT).split(","));
                default -> throw new IllegalArgumentException("unknown option " + args[a]
                        + " (--work DIR, --threads N, --layers N, --block-size N, --runs N, --keep, --reuse, --plain-rotary, "
                        + "--plain-attention, --plain-norm, --int8-encoding u8|s7|s8, --precisions pytorch,fp32,int8,int4)");
            }
        }
        ModelConfig config = tinyLlama(layers);
        System.out.println("CPU " + CpuFeatures.current().summary() + " (" + CpuFeatures.current().machineClass() + ")");
        System.out.printf("TinyLlama-1.1B shape, %d layers, %.2fB parameters, random weights; %d threads, %d cores%n",
                layers, config.parameterCount() / 1e9, threads, Runtime.getRuntime().availableProcessors());
        System.out.println("cpu " + dev.billionllm.bench.speed.Environment.capture().cpuLine());
        System.out.printf("%-7s %10s %9s %10s %10s %9s %9s%n", "backend", "export s", "load s", "pp128 t/s", "tg128 t/s",
                "RSS MiB", "disk MiB");
        for (String variant : variants) {
            if (variant.equals("pytorch")) {
                pytorch(config, threads, runs);
                continue;
            }
            Precision precision = Precision.valueOf(variant.trim().toUpperCase(java.util.Locale.ROOT));
            Path dst = work.resolve(precision.name().toLowerCase(java.util.Locale.ROOT)
                    + (precision == Precision.INT4 ? "-b" + blockSize : "") + "-l" + layers
                    + (fusedRotary ? "" : "-plain") + (fusedAttention ? "" : "-plainattn") + (skipNorm ? "" : "-plainnorm")
                    + (precision == Precision.INT8 ? "-" + int8Encoding.id() : ""));
            long t0 = System.nanoTime();
            if (!reuse || !Files.exists(dst.resolve(OnnxExporter.MODEL_FILE))) {
                OnnxExporter.export(config, new RandomLlamaWeights(config), "random TinyLlama", dst,
                        defaults.toBuilder().setPrecision(precision).optBlockSize(blockSize)
                                .optFusedRotary(fusedRotary).optFusedAttention(fusedAttention).optSkipNorm(skipNorm)
                                .optInt8Encoding(int8Encoding).build());
            }
            double exportS = (System.nanoTime() - t0) / 1e9;
            long disk = Files.size(dst.resolve(OnnxExporter.DATA_FILE)) + Files.size(dst.resolve(OnnxExporter.MODEL_FILE));
            System.gc();
            long t1 = System.nanoTime();
            try (CausalLM lm = Backends.get("onnxruntime").load(dst, config, LoadOptions.builder()
                    .optThreads(threads).optBackendOption(OnnxBackend.SPINNING,
                            System.getProperty("billion.onnx.spinning", OnnxBackend.DEFAULT_SPINNING))
                    .build())) {
                double loadS = (System.nanoTime() - t1) / 1e9;
                double[] speed = speed(lm, runs);
                String label = "onnx-" + variant + (precision == Precision.INT8 ? "-" + int8Encoding.id() : "");
                System.out.printf("%-7s %10.1f %9.1f %10.1f %10.1f %9d %9d%n", label, exportS, loadS,
                        speed[0], speed[1], rssMiB(), disk >> 20);
            }
            if (!keep) {
                deleteTree(dst);
            }
        }
    }

    /** PyTorch fp32 on the same shape and weights, for comparison (no export). */
    private static void pytorch(ModelConfig config, int threads, int runs) {
        System.gc();
        long t0 = System.nanoTime();
        try (CausalLM lm = PtCausalLM.load(config, WeightReader.of(new RandomLlamaWeights(config), "random weights"),
                LoadOptions.builder().optThreads(threads).build())) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            double[] speed = speed(lm, runs);
            System.out.printf("%-7s %10s %9.1f %10.1f %10.1f %9d %9s%n", "pytorch", "-", loadS, speed[0], speed[1],
                    rssMiB(), "-");
        }
    }

    /** Best of {@code runs}: pp128 (one 128-token forward) and tg128 (128 cached single-token steps), tokens/s. */
    private static double[] speed(CausalLM lm, int runs) {
        int[] prompt = new SplittableRandom(7).ints(128, 3, lm.config().vocabSize()).toArray();
        double pp = 0;
        double tg = 0;
        for (int r = 0; r < runs; r++) {
            try (KvCache cache = lm.newCache(1, 128)) {
                long s = System.nanoTime();
                lm.forward(TokenBatch.of(prompt), cache, LogitsMode.LAST);
                pp = Math.max(pp, 128 / ((System.nanoTime() - s) / 1e9));
            }
            try (KvCache cache = lm.newCache(1, 129)) {
                lm.forward(TokenBatch.of(1), cache, LogitsMode.LAST);
                long s = System.nanoTime();
                for (int i = 0; i < 128; i++) {
                    lm.forward(TokenBatch.of(prompt[i]), cache, LogitsMode.LAST);
                }
                tg = Math.max(tg, 128 / ((System.nanoTime() - s) / 1e9));
            }
        }
        return new double[] {pp, tg};
    }

    /** Resident set size of this process (Linux), -1 elsewhere. */
    static long rssMiB() {
        long kb = ProcessMemory.rssKb();
        return kb < 0 ? -1 : kb >> 10;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
