package dev.billionllm.core.adapter;

import dev.billionllm.core.BillionException;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.io.safetensors.ForwardingTensorSource;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.SafetensorsSource;
import dev.billionllm.core.io.safetensors.SafetensorsWriter;
import dev.billionllm.core.io.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code billion merge}: a base model folder plus LoRA adapters into a full model folder that
 * transformers loads like any checkpoint: one {@code model.safetensors} where adapted weights are
 * {@code W + s B A} stored in the base's dtype (as PEFT's {@code merge_and_unload} leaves them) and
 * every other tensor is copied byte for byte, next to the base's config and tokenizer files.
 *
 * <pre>{@code
 * MergedModelWriter.write(Path.of("models/tinyllama"), List.of(Path.of("out/adapter")), Path.of("out/merged"));
 * }</pre>
 */
public final class MergedModelWriter {

    private MergedModelWriter() {}

    /**
     * Writes the merged model; the weights file appears atomically.
     *
     * @return names of the tensors that changed
     */
    public static Set<String> write(Path model, List<Path> adapterDirs, Path out) {
        ModelConfig config = ModelConfigParser.parse(model);
        List<LoraAdapter> adapters = adapterDirs.stream().map(LoraAdapter::load).toList();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new BillionException("cannot create " + out + ": " + e, e);
        }
        Set<String> changed;
        try (SafetensorsSource base = Safetensors.open(model);
                MergedTensorSource merged = MergedTensorSource.of(ForwardingTensorSource.unclosed(base), config, adapters)) {
            changed = new TreeSet<>(merged.mergedNames());
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (String name : new TreeSet<>(base.names())) {
                TensorInfo info = base.info(name);
                if (changed.contains(name)) {
                    DType dtype = info.dtype() == DType.F64 ? DType.F32 : info.dtype();
                    w.addFloats(name, dtype, info.shape(), merged.floats(name));
                } else {
                    w.copyFrom(base, name);
                }
            }
            w.write(out.resolve(Safetensors.SINGLE_FILE));
        }
        OnnxExporter.copyCompanions(model, out);
        return changed;
    }
}
