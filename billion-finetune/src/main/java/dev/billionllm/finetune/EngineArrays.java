package dev.billionllm.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Trainable state (LoRA matrices, optimizer moments) kept in memory the engine allocated.
 *
 * <p>DJL backs an array made from Java data with a Java direct buffer, and {@code NDArray.set(Buffer)}
 * makes an existing tensor point at one: such memory is aligned as malloc aligns it and lives only
 * as long as one Java object. A fresh run and a resumed run would then hold the same state in
 * differently laid-out memory. Copying into engine memory makes both alike, whichever way the state
 * arrived.
 */
final class EngineArrays {
    private EngineArrays() {}

    /** An engine-allocated copy of {@code fromJava} as {@code dtype}; closes {@code fromJava}. */
    static NDArray engineOwned(NDArray fromJava, DataType dtype) {
        NDArray typed = fromJava.toType(dtype, false);
        NDArray copy = typed.duplicate();
        if (typed != fromJava) {
            typed.close();
        }
        fromJava.close();
        return copy;
    }

    /**
     * Overwrites {@code target}'s values in place (its memory stays the engine's).
     *
     * @param what names the values in the error when their count is wrong
     */
    static void copyInto(NDArray target, float[] values, String what) {
        if (target.size() != values.length) {
            throw new IllegalArgumentException(what + " has " + values.length + " values, expected " + target.getShape());
        }
        try (NDManager tmp = target.getManager().newSubManager()) {
            NDArray src = tmp.create(values, target.getShape()).toType(target.getDataType(), false);
            target.set(new NDIndex(":"), src);
        }
    }
}
