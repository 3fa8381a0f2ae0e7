package dev.billionllm.core.arch;

import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.arch.Parameter.Part;
import dev.billionllm.core.arch.TensorNames.Module;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.util.Arrays;

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
                    + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(part.shape())
                    + "; does config.json belong to these weights?");
        }
        return source.floats(name);
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
