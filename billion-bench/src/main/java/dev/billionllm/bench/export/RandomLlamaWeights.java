package dev.billionllm.bench.export;

import dev.billionllm.core.arch.Parameter;
import dev.billionllm.core.arch.ParameterLayout;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.internal.backend.pytorch.PtCausalLM;
import dev.billionllm.core.internal.model.WeightReader;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.lm.CausalLM;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Llama-family weights generated on demand (uniform, std 0.02; norms 1), deterministic per
 * tensor name, so a 1.1B-parameter model needs no checkpoint on disk. Speed does not depend on
 * the values.
 */
public final class RandomLlamaWeights implements TensorSource {

    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public RandomLlamaWeights(ModelConfig c) {
        // Names and shapes from the description both backends load (arch.ParameterLayout).
        for (Parameter p : new ParameterLayout(c).all()) {
            for (Parameter.Part part : p.parts()) {
                shapes.put(part.tensor(), part.shape());
            }
        }
    }

    /**
     * A model of random weights: "pytorch" runs them fp32 on PyTorch; any other kind names a
     * {@link Precision} ("fp32", "int8", "int4") and runs on ONNX Runtime an export at that
     * precision, made once into {@code work/<kind>-l<layers>} and reused when it is there.
     */
    public static CausalLM open(String kind, ModelConfig config, Path work, LoadOptions options) throws IOException {
        if (kind.equals("pytorch")) {
            return PtCausalLM.load(config, WeightReader.of(new RandomLlamaWeights(config), "random weights"), options);
        }
        Precision precision = Precision.valueOf(kind.toUpperCase(Locale.ROOT));
        Path dst = work.resolve(kind + "-l" + config.numHiddenLayers());
        if (!Files.exists(dst.resolve(OnnxExporter.MODEL_FILE))) {
            OnnxExporter.export(config, new RandomLlamaWeights(config), "random TinyLlama", dst,
                    ExportOptions.builder().setPrecision(precision).build());
        }
        return Backends.get("onnxruntime").load(dst, config, options);
    }

    @Override
    public Set<String> names() {
        return shapes.keySet();
    }

    @Override
    public boolean contains(String name) {
        return shapes.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        long[] shape = shapes.get(name);
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return new TensorInfo(name, DType.F32, shape, 0, n * 4);
    }

    @Override
    public float[] floats(String name) {
        float[] v = new float[Math.toIntExact(info(name).elementCount())];
        if (name.endsWith("norm.weight")) {
            java.util.Arrays.fill(v, 1f);
            return v;
        }
        SplittableRandom random = new SplittableRandom(name.hashCode());
        // Uniform on [-a, a] has std a / sqrt(3); a = 0.02 * sqrt(3) gives std 0.02.
        float a = (float) (0.02 * Math.sqrt(3));
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) ((random.nextDouble() * 2 - 1) * a);
        }
        return v;
    }

    @Override
    public void close() {}
}
