package dev.billionllm.core;

/** Weights cannot be read: a malformed safetensors file, a missing tensor, a wrong shape or dtype. */
public class WeightLoadException extends BillionException {
    private static final long serialVersionUID = 1L;

    public WeightLoadException(String message) {
        super(message);
    }

    public WeightLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
