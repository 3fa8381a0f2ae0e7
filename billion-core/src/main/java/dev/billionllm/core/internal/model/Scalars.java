package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.BinaryOperator;

/**
 * Arithmetic with a constant that stays correct under autograd. Use these instead of DJL's
 * {@code NDArray.mul(Number)}, {@code div(Number)}, {@code pow(Number)}, ... on any path that
 * training differentiates.
 *
 * <p>Why: DJL wraps the number in a 0-d array backed by a Java direct buffer and closes that array
 * right after the op. Autograd keeps the array for the backward pass (the gradient of {@code x * c}
 * needs {@code c}), but a tensor on a Java buffer does not keep the buffer alive: once the garbage
 * collector frees it, the backward pass reads freed memory. LoRA training showed it as gradient
 * norms of 1e12 or 1e-12 and skipped NaN steps whenever a GC ran mid-step. Here the constant is
 * allocated by the engine ({@code torch.full}), which counts autograd's reference, so closing our
 * handle is safe. The constant has the dtype DJL would have given it (int, float or double), so
 * results are bit for bit those of the {@code Number} overloads.
 */
public final class Scalars {
    private Scalars() {}

    /** An engine-allocated 0-d array holding {@code n}, typed as DJL types a {@code Number}. */
    public static NDArray of(NDManager manager, Number n) {
        DataType type = n instanceof Integer ? DataType.INT32
                : n instanceof Long ? DataType.INT64
                : n instanceof Float ? DataType.FLOAT32
                : DataType.FLOAT64;
        return JniUtils.full((PtNDManager) manager, new Shape(), n.doubleValue(), type, manager.getDevice(),
                SparseFormat.DENSE);
    }

    /**
     * {@code op(x, n)} with {@code n} as an engine-made constant, e.g. {@code apply(q, scale,
     * NDArray::mul)}. For a constant used every step, hold an {@link #of} array instead.
     */
    public static NDArray apply(NDArray x, Number n, BinaryOperator<NDArray> op) {
        try (NDArray c = of(x.getManager(), n)) {
            return op.apply(x, c);
        }
    }
}
