package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.arch.CheckpointReader;
import dev.billionllm.core.arch.Parameter;
import dev.billionllm.core.io.safetensors.TensorSource;

/**
 * Where {@link Transformer#load} gets its {@link Parameter}s: a checkpoint
 * ({@link #of(TensorSource, String)}, through the shared {@link CheckpointReader}) or, for
 * benchmarks, generated values.
 */
public interface WeightReader {

    /**
     * The parameter as an fp32 array in {@code manager}, assembled as the parameter says.
     *
     * @return null when the parameter is optional and absent
     * @throws dev.billionllm.core.WeightLoadException if a tensor is missing or has another shape or
     *     a non-float dtype
     */
    NDArray read(Parameter parameter, NDManager manager);

    /**
     * Reads from a checkpoint. BF16/F16 values are widened to fp32 in Java by the source, so no
     * half-precision array ever reaches the engine.
     *
     * @param origin folder or file, for error messages
     */
    static WeightReader of(TensorSource source, String origin) {
        CheckpointReader reader = new CheckpointReader(source, origin);
        return (parameter, manager) -> {
            float[] values = reader.read(parameter);
            return values == null ? null : manager.create(values, new Shape(parameter.shape()));
        };
    }

    /**
     * Generated parameters of whatever shape the architecture asks for: Normal(0, 0.02) matrices and
     * unit vectors (norm weights, biases), made by the engine from its random seed with no Java copy
     * and no file. For speed and memory benchmarks of full-size models; values never matter there,
     * but unit norms keep activations at a realistic scale (no NaN or denormals).
     */
    static WeightReader random() {
        return (parameter, manager) -> {
            Shape shape = new Shape(parameter.shape());
            // Vectors in the checkpoint (norm scales, biases; stacked qk-norm scales too) are ones.
            return parameter.parts().get(0).shape().length == 1 ? manager.ones(shape)
                    : manager.randomNormal(0f, 0.02f, shape, DataType.FLOAT32);
        };
    }
}
