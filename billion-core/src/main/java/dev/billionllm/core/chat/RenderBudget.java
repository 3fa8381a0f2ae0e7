package dev.billionllm.core.chat;

import java.time.Clock;

/**
 * The state of one render that the sandbox's hooks share: the limits, how much of them is used,
 * the clock {@code strftime_now} reads, and the first failure. jinjava turns exceptions thrown from
 * hooks into generic errors (and sometimes keeps rendering), so a failure is recorded here and
 * every later hook call fails again at once: the render stops quickly and the caller reports the
 * recorded message, not jinjava's.
 */
final class RenderBudget {
    private static final ThreadLocal<RenderBudget> CURRENT = new ThreadLocal<>();

    final TemplateLimits limits;
    final Clock clock;
    private final long deadline;
    private long loopIterations;
    private String failure;
    private boolean raised;

    RenderBudget(TemplateLimits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
        this.deadline = System.nanoTime() + limits.maxRenderTime().toNanos();
    }

    /** The budget of the render running on this thread, or null outside a render. */
    static RenderBudget current() {
        return CURRENT.get();
    }

    void enter() {
        CURRENT.set(this);
    }

    static void exit() {
        CURRENT.remove();
    }

    /** Thrown by the hooks to stop the render; the message is what the caller reports. */
    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop(String message) {
            super(message, null, false, false);
        }
    }

    /** Records the first failure (later ones are consequences) and stops the render. */
    Stop fail(String message) {
        if (failure == null) {
            failure = message;
        }
        throw new Stop(failure);
    }

    /** As {@link #fail}, for the template's own {@code raise_exception(message)}. */
    Stop raise(String message) {
        if (failure == null) {
            raised = true;
        }
        return fail(message);
    }

    /** The first failure, or null. */
    String failure() {
        return failure;
    }

    /** Whether the failure is the template's own {@code raise_exception}. */
    boolean raisedByTemplate() {
        return raised;
    }

    /** Called at every node and hook: fails again after a failure, and when time is up. */
    void check() {
        if (failure != null) {
            throw new Stop(failure);
        }
        if (System.nanoTime() - deadline > 0) {
            fail("exceeded the render-time limit of " + limits.maxRenderTime().toMillis()
                    + " ms (TemplateLimits.maxRenderTime)");
        }
    }

    /** Charges {@code n} loop iterations before they run. */
    void chargeLoop(long n) {
        check();
        loopIterations += n;
        if (loopIterations > limits.maxLoopIterations()) {
            fail("exceeded the loop-iteration limit of " + limits.maxLoopIterations()
                    + " iterations over the whole render (TemplateLimits.maxLoopIterations)");
        }
    }

    /** Fails if something of {@code size} characters or items would be built. */
    void checkSize(long size, String what) {
        check();
        if (size > limits.maxOutputChars()) {
            fail(what + " would hold " + size + " characters or items, over the output limit of "
                    + limits.maxOutputChars() + " (TemplateLimits.maxOutputChars)");
        }
    }
}
