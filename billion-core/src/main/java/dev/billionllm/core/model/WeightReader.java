package dev.billionllm.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.TensorInfo;
import dev.billionllm.core.io.safetensors.TensorSource;
import java.util.Arrays;

/**
 * Where {@link Transformer#load} gets parameters: a checkpoint ({@link #of(TensorSource, String)})
 * or, for benchmarks, generated values.
 */
public interface WeightReader {

    /** Whether the tensor exists. */
    boolean contains(String name);

    /**
     * The tensor as an fp32 array in {@code manager}.
     *
     * @param shape the shape the architecture needs; a checkpoint with another shape is an error
     * @throws WeightLoadException if the tensor is missing or has another shape or a non-float dtype
     */
    NDArray read(String name, Shape shape, NDManager manager);

    /**
     * Reads from a checkpoint. BF16/F16 values are widened to fp32 in Java by the source, so no
     * half-precision array ever reaches the engine.
     *
     * @param origin folder or file, for error messages
     */
    static WeightReader of(TensorSource source, String origin) {
        return new WeightReader() {
            @Override
            public boolean contains(String name) {
                return source.contains(name);
            }

            @Override
            public NDArray read(String name, Shape shape, NDManager manager) {
                if (!source.contains(name)) {
                    throw new WeightLoadException(origin + ": missing tensor \"" + name + "\" (expected shape "
                            + shape + ")");
                }
                TensorInfo info = source.info(name);
                if (info.dtype() != DType.F32 && info.dtype() != DType.F16 && info.dtype() != DType.BF16) {
                    throw new WeightLoadException(origin + ": tensor \"" + name + "\" has dtype " + info.dtype()
                            + "; expected F32, F16 or BF16");
                }
                if (!Arrays.equals(info.shape(), shape.getShape())) {
                    throw new WeightLoadException(origin + ": tensor \"" + name + "\" has shape "
                            + Arrays.toString(info.shape()) + " but config.json implies " + shape
                            + "; does config.json belong to these weights?");
                }
                return manager.create(source.floats(name), shape);
            }
        };
    }

    /**
     * Generated parameters of whatever shape the architecture asks for: Normal(0, 0.02) matrices and
     * unit vectors (norm weights, biases), made by the engine from its random seed with no Java copy
     * and no file. For speed and memory benchmarks of full-size models; values never matter there,
     * but unit norms keep activations at a realistic scale (no NaN or denormals).
     */
    static WeightReader random() {
        return new WeightReader() {
            @Override
            public boolean contains(String name) {
                return true;
            }

            @Override
            public NDArray read(String name, Shape shape, NDManager manager) {
                return shape.dimension() == 1
                        ? manager.ones(shape)
                        : manager.randomNormal(0f, 0.02f, shape, ai.djl.ndarray.types.DataType.FLOAT32);
            }
        };
    }
}
