package dev.billionllm.core;

/**
 * Root of billion-llm's unchecked exceptions. Messages name the file, field or tensor at fault,
 * what was expected and what was found, so that the user can fix the input without a debugger.
 */
public class BillionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BillionException(String message) {
        super(message);
    }

    public BillionException(String message, Throwable cause) {
        super(message, cause);
    }
}
