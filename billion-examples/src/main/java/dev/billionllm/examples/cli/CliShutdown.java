package dev.billionllm.examples.cli;

import dev.billionllm.core.generate.CancellationToken;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.generate.TokenListener;
import java.util.ArrayList;
import java.util.List;

/**
 * SIGTERM or Ctrl-C while the CLI generates. On a signal the JVM would start its exit at once, and
 * ONNX Runtime's own shutdown hook releases its native environment while a {@code session.run} may
 * still be in flight on the generating thread: the JVM then dies with an hs_err file (exit 134).
 * Shutdown hooks run concurrently, so no hook of ours can go first. Instead the CLI handles the
 * signal itself: it cancels every generation through one {@link CancellationToken}, waits (bounded)
 * until each has returned from its current step, and only then exits with the signal's status.
 */
final class CliShutdown {
    private static final CancellationToken TOKEN = new CancellationToken();
    private static final Object LOCK = new Object();
    private static final List<Runnable> STOP_ACTIONS = new ArrayList<>();
    private static int busy;
    private static volatile boolean shuttingDown;

    private CliShutdown() {}

    /**
     * Handles SIGTERM and SIGINT as described above, waiting up to {@code graceMillis} for
     * generations to stop. Should anything still block the exit (a native thread pool, another
     * library's hook), a daemon timer halts the JVM {@code graceMillis} after the exit began, with
     * the status a SIGTERM would have given.
     */
    static void install(long graceMillis) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Thread timer = new Thread(() -> {
                try {
                    Thread.sleep(graceMillis);
                } catch (InterruptedException e) {
                    return;
                }
                Runtime.getRuntime().halt(143); // 128 + SIGTERM
            }, "billion-shutdown-timer");
            timer.setDaemon(true);
            timer.start();
        }, "billion-shutdown-guard"));
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stopThenExit(128 + s.getNumber(), graceMillis));
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal (-Xrs, or a debugger): its default exit remains.
            }
        }
    }

    /**
     * Cancels the generations, runs the stop actions (e.g. the server's graceful close), waits until
     * no {@link Work} is open (at most {@code graceMillis} after the actions), then exits.
     */
    static void stopThenExit(int status, long graceMillis) {
        shuttingDown = true;
        TOKEN.cancel();
        List<Runnable> actions;
        synchronized (LOCK) {
            actions = List.copyOf(STOP_ACTIONS);
        }
        actions.forEach(Runnable::run);
        long deadline = System.nanoTime() + graceMillis * 1_000_000L;
        synchronized (LOCK) {
            long left;
            while (busy > 0 && (left = deadline - System.nanoTime()) > 0) {
                try {
                    LOCK.wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        System.exit(status);
    }

    /**
     * Engine work a signal must wait for: a generation, or a server and its models. Closing it on a
     * thread after a signal does not return: that thread then waits for the JVM to end, so it cannot
     * start the next engine call (or close a session) while the native libraries are torn down.
     */
    static final class Work implements AutoCloseable {
        private final Runnable onSignal;
        private boolean closed;

        private Work(Runnable onSignal) {
            this.onSignal = onSignal;
        }

        @Override
        public void close() {
            synchronized (LOCK) {
                if (closed) {
                    return;
                }
                closed = true;
                busy--;
                if (onSignal != null) {
                    STOP_ACTIONS.remove(onSignal);
                }
                LOCK.notifyAll();
            }
            if (shuttingDown) {
                parkUntilExit();
            }
        }
    }

    /**
     * Opens a {@link Work}.
     *
     * @param onSignal run on a signal before waiting for the work to close (e.g. close a server so
     *     that its thread leaves its wait), or null when the token alone stops the work
     */
    static Work begin(Runnable onSignal) {
        synchronized (LOCK) {
            busy++;
            if (onSignal != null) {
                STOP_ACTIONS.add(onSignal);
            }
        }
        return new Work(onSignal);
    }

    /** {@code generator.generate} as a {@link Work}, watching the token every CLI generation watches. */
    static GenerationResult generate(Generator generator, Prompt prompt, GenerationConfig config,
            TokenListener listener) {
        try (Work work = begin(null)) {
            return generator.generate(prompt, config, listener, TOKEN);
        }
    }

    private static void parkUntilExit() {
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // keep waiting: the JVM is exiting
            }
        }
    }
}
