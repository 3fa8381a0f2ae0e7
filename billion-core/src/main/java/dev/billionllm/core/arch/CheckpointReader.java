package dev.billionllm.core.arch;

import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.arch.Parameter.Part;
import dev.billionllm.core.arch.TensorNames.Module;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.config.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads {@link Parameter}s from a checkpoint as fp32 row-major arrays, assembled (concatenated,
 * regrouped) as the parameter says: the one place that checks a tensor's presence, dtype and shape.
 * BF16/F16 values are widened to fp32 by the source.
 *
 * <pre>{@code
 * CheckpointReader reader = new CheckpointReader(source, "models/tinyllama");
 * float[] qkv = reader.read(new ParameterLayout(config).layer(0).qkv().weight());
 * }</pre>
 */
public final class CheckpointReader {

    private final TensorSource source;
    private final String origin;

    /** @param origin folder or file, for error messages */
    public CheckpointReader(TensorSource source, String origin) {
        this.source = source;
        this.origin = origin;
    }

    /**
     * The assembled values of {@code p}, or null when {@code p} is optional and absent.
     *
     * @throws WeightLoadException naming the tensor, the expected and found shape and the file, when
     *     a tensor is missing, misshapen or not a float type
     */
    public float[] read(Parameter p) {
        if (p.optional() && p.parts().stream().noneMatch(part -> source.contains(part.tensor()))) {
            return null;
        }
        if (p.parts().size() == 1 && p.assembly() == Parameter.Assembly.CONCAT) {
            // No copy: a 128256 x 2048 embedding is 1 GB of heap, twice would be 2.
            return checked(p.parts().get(0));
        }
        float[] out = new float[Math.toIntExact(p.size())];
        int at = 0;
        for (Part part : p.parts()) {
            float[] values = checked(part);
            System.arraycopy(values, 0, out, at, values.length);
            at += values.length;
        }
        if (at != out.length) {
            throw new IllegalStateException(p.role() + ": parts hold " + at + " values, the parameter " + p.size());
        }
        return p.assembly() == Parameter.Assembly.CONCAT ? out : reorderRows(out, p);
    }

    private float[] checked(Part part) {
        String name = part.tensor();
        if (!source.contains(name)) {
            String hint = part.module() == Module.LM_HEAD
                    ? "; config.json has tie_word_embeddings false: set it to true if the output projection is the"
                            + " embedding"
                    : "; does config.json belong to these weights?";
            throw new WeightLoadException(origin + ": missing tensor \"" + name + "\" (expected shape "
                    + Arrays.toString(part.shape()) + ")" + hint);
        }
        TensorInfo info = source.info(name);
        if (info.dtype() != DType.F32 && info.dtype() != DType.F16 && info.dtype() != DType.BF16) {
            throw new WeightLoadException(origin + ": tensor \"" + name + "\" has dtype " + info.dtype()
                    + "; expected F32, F16 or BF16");
        }
        if (!Arrays.equals(info.shape(), part.shape())) {
            throw new WeightLoadException(origin + ": tensor \"" + name + "\" has shape "
                    + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(part.shape())
                    + " from config.json; does config.json belong to these weights?");
        }
        return source.floats(name);
    }

    /**
     * Refuses a checkpoint of a declared (not built-in) architecture that holds tensors its layout
     * never reads: a declaration that misses a feature of the model (a q/k norm, an extra bias)
     * would otherwise run a different model than the checkpoint's, silently. Built-in families are
     * checked against transformers' goldens instead, and real checkpoints of them carry harmless
     * extras (rotary caches, GPT-NeoX's causal-mask buffers).
     *
     * @throws dev.billionllm.core.UnsupportedModelException naming the unused tensors
     */
    public static void requireAllUsed(TensorSource source, ModelConfig config, String origin) {
        if (Architectures.find(config.modelType()) != null) {
            return;
        }
        Set<String> used = new HashSet<>();
        for (Parameter p : new ParameterLayout(config).all()) {
            p.parts().forEach(part -> used.add(part.tensor()));
        }
        List<String> unused = new ArrayList<>();
        for (String name : source.names()) {
            if (!used.contains(name) && !name.endsWith("rotary_emb.inv_freq")
                    && !(config.tieWordEmbeddings() && name.equals(config.architecture().tensorNames()
                            .prefix(Module.LM_HEAD, 0, 0) + ".weight"))) {
                unused.add(name);
            }
        }
        if (!unused.isEmpty()) {
            Collections.sort(unused);
            throw new dev.billionllm.core.UnsupportedModelException(origin + ": the checkpoint has "
                    + unused.size() + " tensor(s) the declared " + config.modelType() + " architecture (like "
                    + config.family().modelType() + ") does not use, e.g. "
                    + String.join(", ", unused.subList(0, Math.min(4, unused.size())))
                    + "; the model needs a feature the declaration does not switch on (or its tensor_names"
                    + " differ), so it would not run as trained");
        }
    }

    /** Moves whole rows to where {@link Parameter#sourceRows()} says. */
    private static float[] reorderRows(float[] in, Parameter p) {
        int[] from = p.sourceRows();
        int rowLength = in.length / from.length;
        float[] out = new float[in.length];
        for (int r = 0; r < from.length; r++) {
            System.arraycopy(in, from[r] * rowLength, out, r * rowLength, rowLength);
        }
        return out;
    }
}
