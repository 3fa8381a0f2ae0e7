package dev.billionllm.core.io.safetensors;

import java.util.Set;

/**
 * A {@link TensorSource} that passes every call to another one, for decorators that change a few
 * tensors (LoRA merging) or watch reads (export progress) without restating the rest (the
 * pattern of Guava's {@code ForwardingObject}). Closing it closes the delegate unless built with
 * {@code closesDelegate = false}, for views of a source someone else closes. {@code readFloats}
 * is not forwarded: it keeps the interface default, which reads through {@link #floats}, so a
 * subclass that changes {@code floats} changes both.
 */
public abstract class ForwardingTensorSource implements TensorSource {

    private final TensorSource delegate;
    private final boolean closesDelegate;

    protected ForwardingTensorSource(TensorSource delegate, boolean closesDelegate) {
        this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
        this.closesDelegate = closesDelegate;
    }

    /** The source every call goes to. */
    protected final TensorSource delegate() {
        return delegate;
    }

    /** A view of {@code source} whose {@code close()} leaves it open. */
    public static TensorSource unclosed(TensorSource source) {
        return new ForwardingTensorSource(source, false) {};
    }

    @Override
    public Set<String> names() {
        return delegate.names();
    }

    @Override
    public boolean contains(String name) {
        return delegate.contains(name);
    }

    @Override
    public TensorInfo info(String name) {
        return delegate.info(name);
    }

    @Override
    public float[] floats(String name) {
        return delegate.floats(name);
    }

    @Override
    public void close() {
        if (closesDelegate) {
            delegate.close();
        }
    }
}
