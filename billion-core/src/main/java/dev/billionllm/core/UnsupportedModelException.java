package dev.billionllm.core;

/** The model uses an architecture or feature billion-llm does not implement (the message lists what is supported). */
public class UnsupportedModelException extends BillionException {
    private static final long serialVersionUID = 1L;

    public UnsupportedModelException(String message) {
        super(message);
    }

    public UnsupportedModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
