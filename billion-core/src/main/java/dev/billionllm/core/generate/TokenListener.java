package dev.billionllm.core.generate;

/**
 * Receives each generated token as soon as it is picked, on the generating thread. Keep it quick:
 * the next forward pass waits for it. An exception thrown here ends the generation and reaches
 * the caller.
 *
 * <pre>{@code
 * generator.generate(Prompt.text("Once upon a time"), config, e -> System.out.print(e.text()));
 * }</pre>
 */
@FunctionalInterface
public interface TokenListener {

    /** A listener that ignores every token. */
    TokenListener NONE = event -> {};

    void onToken(TokenEvent event);
}
