package dev.billionllm.core.generate;

/**
 * Lets another thread stop a generation. The generator checks it before each forward pass, so a
 * generation ends within one step of {@link #cancel()}, with finish reason {@link
 * FinishReason#CANCELLED} and the tokens produced so far. One token may serve several
 * generations (cancel them all at once).
 *
 * <pre>{@code
 * CancellationToken cancel = new CancellationToken();
 * executor.submit(() -> generator.generate(prompt, config, listener, cancel));
 * ...
 * cancel.cancel(); // from a UI thread, a timeout, ...
 * }</pre>
 */
public final class CancellationToken {
    private volatile boolean cancelled;

    /** Asks the generations that watch this token to stop. Idempotent; thread-safe. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
