package dev.billionllm.examples.cli;

import dev.billionllm.core.BillionException;
import dev.billionllm.core.hub.Secrets;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * How the command line reports a failure: one line, {@code error: ...}, with credentials removed,
 * and the stack trace only with {@code --verbose}. A trace is never the whole answer: errors the
 * library did not anticipate (and {@link OutOfMemoryError}, {@link StackOverflowError}) still get a
 * sentence that says what happened and what to try.
 */
final class CliErrors {

    private CliErrors() {}

    /** Prints {@code t} and returns the exit code: 2 for bad input, 1 for anything else. */
    static int report(Throwable t, PrintWriter err, boolean verbose) {
        err.println("error: " + oneLine(t));
        if (verbose) {
            Throwable safe = Secrets.redactCause(t);
            safe.printStackTrace(err);
        }
        err.flush();
        return t instanceof IllegalArgumentException || t instanceof BillionException ? 2 : 1;
    }

    static String oneLine(Throwable t) {
        String message = t.getMessage() == null ? "" : t.getMessage();
        String text;
        if (t instanceof OutOfMemoryError) {
            text = "out of memory (" + message + ") with a heap of " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB; try a smaller --max-new-tokens or a shorter prompt, or give the JVM more "
                    + "(JAVA_OPTS=-Xmx...)";
        } else if (t instanceof StackOverflowError) {
            text = "the input is nested too deeply to process (stack overflow)";
        } else if (t instanceof BillionException || t instanceof IllegalArgumentException
                || t instanceof IllegalStateException || t instanceof UncheckedIOException) {
            text = message.isEmpty() ? t.getClass().getSimpleName() : message;
        } else {
            // Not an error the library anticipated: name it, so a report can be matched to code.
            text = "internal error " + t.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message)
                    + " (run with --verbose for the stack trace, and please report it)";
        }
        return Secrets.redact(text.strip().replaceAll("\\s*\\R\\s*", " "));
    }
}
