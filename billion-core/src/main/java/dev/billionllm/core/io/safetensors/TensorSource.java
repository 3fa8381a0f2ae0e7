package dev.billionllm.core.io.safetensors;

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

    @Override
    void close();
}
