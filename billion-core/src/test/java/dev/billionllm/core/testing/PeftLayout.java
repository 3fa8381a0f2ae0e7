package dev.billionllm.core.testing;

import dev.billionllm.core.io.safetensors.SafetensorsFile;
import dev.billionllm.core.io.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/** The layout of a PEFT adapter folder, to compare ours with the one PEFT wrote. */
public final class PeftLayout {
    private PeftLayout() {}

    /** Tensor name to dtype and shape, e.g. {@code F32[4, 64]}, of {@code dir/adapter_model.safetensors}. */
    public static Map<String, String> tensors(Path dir) {
        Map<String, String> m = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            for (TensorInfo t : f.tensors()) {
                m.put(t.name(), t.dtype() + Arrays.toString(t.shape()));
            }
        }
        return m;
    }
}
