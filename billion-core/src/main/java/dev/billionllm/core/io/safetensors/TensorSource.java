package dev.billionllm.core.io.safetensors;

import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Named tensors of a checkpoint (one safetensors file, or the shards of an index). Values are
 * converted to fp32 in Java: BF16 must never reach DJL's PyTorch engine, which aborts on it.
 */
public interface TensorSource extends AutoCloseable {

    /** Names of all tensors. */
    Set<String> names();

    /** Whether a tensor exists. */
    boolean contains(String name);

    /** Dtype, shape and location of a tensor. */
    TensorInfo info(String name);

    /** The tensor's values as fp32, converted from F32/F16/BF16. */
    float[] floats(String name);

    /**
     * Writes the tensor's values as fp32 into {@code dst} at its position, advancing it by the
     * element count. Lets a backend fill a direct buffer for a native engine without an extra
     * {@code float[]}; this default goes through {@link #floats(String)}.
     *
     * @throws IllegalArgumentException if {@code dst} has fewer remaining floats than elements
     */
    default void readFloats(String name, FloatBuffer dst) {
        float[] values = floats(name);
        if (dst.remaining() < values.length) {
            throw new IllegalArgumentException("tensor " + name + " has " + values.length
                    + " elements but the buffer has room for " + dst.remaining());
        }
        dst.put(values);
    }

    @Override
    void close();
}
