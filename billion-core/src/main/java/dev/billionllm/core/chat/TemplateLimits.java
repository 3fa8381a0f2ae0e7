package dev.billionllm.core.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * Hard limits on one chat-template render. A template arrives with a downloaded model, so it is
 * code from a stranger: these limits make a hostile or broken one fail with a one-line error
 * instead of hanging, exhausting memory or overflowing the stack. The defaults are far above what
 * published templates need (they render in milliseconds, loop over messages and tools, nest a
 * handful of blocks deep).
 *
 * <pre>{@code
 * TemplateLimits strict = TemplateLimits.builder().optMaxRenderTime(Duration.ofMillis(200)).build();
 * ChatTemplate t = new JinjaChatTemplate(text, "<s>", "</s>", "chat_template.jinja", strict);
 * }</pre>
 *
 * @param maxRenderTime wall-clock budget of one render
 * @param maxOutputChars longest rendered prompt, and longest string or collection any expression,
 *     filter or method may build on the way
 * @param maxLoopIterations {@code for}-loop iterations summed over the whole render (nested loops
 *     multiply, so a per-loop cap would not bound the work)
 * @param maxNesting deepest nesting of blocks ({@code if}, {@code for}, {@code macro}, ...) and of
 *     brackets inside one expression; checked on the source before it is parsed
 * @param maxMacroRecursion deepest recursive macro call
 * @param maxTemplateChars longest template source
 */
public record TemplateLimits(Duration maxRenderTime, long maxOutputChars, long maxLoopIterations, int maxNesting,
        int maxMacroRecursion, int maxTemplateChars) {

    /** The limits a template gets unless told otherwise; see each {@code opt*} of the builder. */
    public static final TemplateLimits DEFAULTS = builder().build();

    public TemplateLimits {
        Objects.requireNonNull(maxRenderTime, "maxRenderTime");
        positive(maxRenderTime.toNanos(), "maxRenderTime");
        positive(maxOutputChars, "maxOutputChars");
        positive(maxLoopIterations, "maxLoopIterations");
        positive(maxNesting, "maxNesting");
        positive(maxMacroRecursion, "maxMacroRecursion");
        positive(maxTemplateChars, "maxTemplateChars");
        // jinjava takes int sizes for lists and ranges.
        if (maxLoopIterations > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxLoopIterations must be <= " + Integer.MAX_VALUE
                    + ", got " + maxLoopIterations);
        }
    }

    private static void positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().optMaxRenderTime(maxRenderTime).optMaxOutputChars(maxOutputChars)
                .optMaxLoopIterations(maxLoopIterations).optMaxNesting(maxNesting)
                .optMaxMacroRecursion(maxMacroRecursion).optMaxTemplateChars(maxTemplateChars);
    }

    /** Builds {@link TemplateLimits}; every value is optional. {@link #build()} rejects values <= 0. */
    public static final class Builder {
        private Duration maxRenderTime = Duration.ofSeconds(5);
        private long maxOutputChars = 4_000_000;
        private long maxLoopIterations = 1_000_000;
        private int maxNesting = 64;
        private int maxMacroRecursion = 64;
        private int maxTemplateChars = 1_000_000;

        private Builder() {}

        /** Wall-clock budget of one render; default 5 s (published templates take milliseconds). */
        public Builder optMaxRenderTime(Duration value) {
            this.maxRenderTime = value;
            return this;
        }

        /**
         * Longest prompt and longest intermediate string or collection; default 4,000,000 characters
         * (more than a 131,072-token context holds).
         */
        public Builder optMaxOutputChars(long value) {
            this.maxOutputChars = value;
            return this;
        }

        /** Loop iterations over the whole render; default 1,000,000. */
        public Builder optMaxLoopIterations(long value) {
            this.maxLoopIterations = value;
            return this;
        }

        /** Deepest block and bracket nesting; default 64 (published templates nest under 10). */
        public Builder optMaxNesting(int value) {
            this.maxNesting = value;
            return this;
        }

        /** Deepest recursive macro call; default 64. */
        public Builder optMaxMacroRecursion(int value) {
            this.maxMacroRecursion = value;
            return this;
        }

        /** Longest template source; default 1,000,000 characters (published ones are under 20,000). */
        public Builder optMaxTemplateChars(int value) {
            this.maxTemplateChars = value;
            return this;
        }

        /** @throws IllegalArgumentException if a value is not positive */
        public TemplateLimits build() {
            return new TemplateLimits(maxRenderTime, maxOutputChars, maxLoopIterations, maxNesting,
                    maxMacroRecursion, maxTemplateChars);
        }
    }
}
