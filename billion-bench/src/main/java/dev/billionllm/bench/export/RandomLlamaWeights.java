package dev.billionllm.bench.export;

import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.util.LinkedHashMap;
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
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long i = c.intermediateSize();
        shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {i, h});
            shapes.put(p + "mlp.up_proj.weight", new long[] {i, h});
            shapes.put(p + "mlp.down_proj.weight", new long[] {h, i});
        }
        shapes.put("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            shapes.put("lm_head.weight", new long[] {c.vocabSize(), h});
        }
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
