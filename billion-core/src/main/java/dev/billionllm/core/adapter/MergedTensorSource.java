package dev.billionllm.core.adapter;

import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.ForwardingTensorSource;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint with LoRA adapters folded in: the weight of every adapted module reads as
 * {@code W + scaling * B A} (summed over adapters), every other tensor as in the base. The merge
 * happens on the checkpoint's own tensors, before any loader fuses or regroups them, so a GPT-NeoX
 * {@code query_key_value} delta lands on the per-head rows PEFT trained it on, and one source feeds
 * the PyTorch loader, the ONNX exporter and {@link MergedModelWriter} alike.
 *
 * <pre>{@code
 * try (TensorSource merged = MergedTensorSource.of(Safetensors.open(folder), config, List.of(adapter))) {
 *     CausalLM lm = PtCausalLM.load(config, WeightReader.of(merged, folder.toString()), options);
 * }
 * }</pre>
 */
public final class MergedTensorSource extends ForwardingTensorSource {
    private final Map<String, List<Delta>> deltas; // weight tensor name -> deltas

    private record Delta(LoraAdapter.Weights weights, double scaling) {}

    private MergedTensorSource(TensorSource base, Map<String, List<Delta>> deltas) {
        super(base, true);
        this.deltas = deltas;
    }

    /**
     * Merges {@code adapters} into {@code base}; closing the result closes {@code base}.
     *
     * @throws WeightLoadException if an adapter does not fit {@code config}'s modules
     */
    public static MergedTensorSource of(TensorSource base, ModelConfig config, List<LoraAdapter> adapters) {
        LoraTargets targets = LoraTargets.of(config);
        Map<String, List<Delta>> deltas = new LinkedHashMap<>();
        for (LoraAdapter adapter : adapters) {
            adapter.checkAgainst(targets);
            adapter.modules().forEach((name, w) -> deltas.computeIfAbsent(name + ".weight", k -> new ArrayList<>())
                    .add(new Delta(w, adapter.scaling(name))));
        }
        return new MergedTensorSource(base, deltas);
    }

    /** Names of the tensors that differ from the base. */
    public Set<String> mergedNames() {
        return deltas.keySet();
    }

    @Override
    public float[] floats(String name) {
        float[] w = super.floats(name);
        List<Delta> list = deltas.get(name);
        if (list != null) {
            for (Delta d : list) {
                addDelta(w, d.weights(), (float) d.scaling());
            }
        }
        return w;
    }

    /** {@code w [out, in] += scaling * B [out, r] x A [r, in]}. */
    static void addDelta(float[] w, LoraAdapter.Weights lora, float scaling) {
        int r = lora.rank();
        int in = (int) lora.in();
        int out = (int) lora.out();
        if ((long) w.length != (long) out * in) {
            throw new WeightLoadException("LoRA delta [" + out + ", " + in + "] does not fit a weight of "
                    + w.length + " values");
        }
        float[] a = lora.a();
        float[] b = lora.b();
        float[] row = new float[in];
        for (int o = 0; o < out; o++) {
            java.util.Arrays.fill(row, 0f);
            for (int k = 0; k < r; k++) {
                float bk = b[o * r + k];
                int ak = k * in;
                for (int i = 0; i < in; i++) {
                    row[i] += bk * a[ak + i];
                }
            }
            int wo = o * in;
            for (int i = 0; i < in; i++) {
                w[wo + i] += scaling * row[i];
            }
        }
    }
}
