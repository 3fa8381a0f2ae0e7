package dev.billionllm.core.internal.backend.pytorch;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns PyTorch's gradient recording off on the calling thread until closed, then restores it.
 * Grad mode is per thread and a new thread starts with it on, so an inference pass over arrays
 * that require gradients (LoRA parameters being trained elsewhere) would otherwise record an
 * autograd graph it never uses.
 *
 * <pre>{@code
 * try (PtNoGrad off = PtNoGrad.enter()) {
 *     ... inference ...
 * }
 * }</pre>
 */
public final class PtNoGrad implements AutoCloseable {
    private final boolean previous;

    private PtNoGrad() {
        this.previous = JniUtils.isGradMode();
        if (previous) {
            JniUtils.setGradMode(false);
        }
    }

    /** Disables grad mode on this thread. */
    public static PtNoGrad enter() {
        return new PtNoGrad();
    }

    @Override
    public void close() {
        if (previous) {
            JniUtils.setGradMode(true);
        }
    }
}
