package dev.billionllm.core.arch;

import dev.billionllm.core.arch.TensorNames.Module;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One array a backend loads, assembled from one or more checkpoint tensors. Fusing happens here so
 * that both backends run the same layout for every family: q, k and v as rows {@code [q; k; v]},
 * gate and up as {@code [gate; up]}, per-head norm scales as {@code [heads, headDim]}, and
 * GPT-NeoX's per-head {@code [q_h; k_h; v_h]} rows regrouped to {@code [q; k; v]}.
 *
 * @param role what the array is in the model ({@code "layers.3.qkv"}, {@code "lm_head"}): the roles
 *     a {@code LinearHook} sees; biases end in {@code ".bias"}
 * @param shape the assembled shape, {@code [out, in]} for a projection as in the checkpoint
 * @param parts the checkpoint tensors, in the order their rows are concatenated
 * @param assembly how the parts become the array
 * @param heads query heads, for {@link Assembly#PER_HEAD_INTERLEAVED}; else 0
 * @param optional the array may be absent (a LayerNorm's bias); the readers then return null
 */
public record Parameter(String role, long[] shape, List<Part> parts, Assembly assembly, int heads, boolean optional) {

    /** How parts become the parameter. */
    public enum Assembly {
        /** Rows of the parts, one after the other (a single part is itself). */
        CONCAT,
        /**
         * One part whose leading dimension is {@code [heads, 3, headDim]} (GPT-NeoX's
         * {@code query_key_value}: the output viewed as {@code [heads, 3 * headDim]}), reordered to
         * {@code [3, heads, headDim]}.
         */
        PER_HEAD_INTERLEAVED
    }

    /**
     * One checkpoint tensor.
     *
     * @param module which module of {@link TensorNames} it belongs to
     * @param prefix the module prefix ({@code "model.layers.0.self_attn.q_proj"}), which is also how
     *     PEFT names the module an adapter targets
     * @param tensor the full tensor name ({@code prefix + ".weight"})
     * @param shape its shape in the checkpoint
     */
    public record Part(Module module, String prefix, String tensor, long[] shape) {
        /** Elements. */
        public long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** Rows (the leading dimension). */
        public long rows() {
            return shape[0];
        }
    }

    public Parameter {
        parts = List.copyOf(parts);
        shape = shape.clone();
        if (assembly == Assembly.PER_HEAD_INTERLEAVED && (parts.size() != 1 || heads <= 0 || shape[0] % (3L * heads) != 0)) {
            throw new IllegalArgumentException(role + ": a per-head interleaved parameter is one tensor of 3 x "
                    + heads + " heads, got " + parts.size() + " parts of shape " + Arrays.toString(shape));
        }
    }

    /** Elements of the assembled array. */
    public long size() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * For every row of the assembled array, the row of the concatenated parts it comes from. The
     * identity for {@link Assembly#CONCAT}; the per-head regrouping otherwise. An adapter whose delta
     * is defined on a checkpoint tensor (a LoRA {@code B} on {@code query_key_value}) applies it
     * before this reordering, so it reorders its own rows the same way.
     */
    public int[] sourceRows() {
        int rows = Math.toIntExact(shape[0]);
        int[] from = new int[rows];
        if (assembly == Assembly.CONCAT) {
            for (int r = 0; r < rows; r++) {
                from[r] = r;
            }
            return from;
        }
        int perHead = rows / (3 * heads); // head_dim
        for (int part = 0; part < 3; part++) {
            for (int head = 0; head < heads; head++) {
                for (int j = 0; j < perHead; j++) {
                    from[(part * heads + head) * perHead + j] = (head * 3 + part) * perHead + j;
                }
            }
        }
        return from;
    }

    /** The checkpoint tensor names, for messages. */
    public String tensorNames() {
        return parts.stream().map(Part::tensor).collect(Collectors.joining(", "));
    }
}
