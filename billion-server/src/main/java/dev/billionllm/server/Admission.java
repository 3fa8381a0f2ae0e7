package dev.billionllm.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the work the server takes on: at most {@code maxConcurrency} generations run at once and
 * at most {@code queueSize} wait for a slot; a request beyond that is refused at once with 429, so
 * overload shows up as a fast, retryable error instead of a growing latency. Thread-safe.
 */
final class Admission {
    private final int queueSize;
    private final Semaphore slots;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean closing;

    Admission(int maxConcurrency, int queueSize) {
        this.queueSize = queueSize;
        this.slots = new Semaphore(maxConcurrency, true);
    }

    /**
     * Waits for a generation slot; close the returned slot when the generation is over.
     *
     * @throws ApiError 429 when the queue is full, 503 when the server is shutting down
     */
    Slot enter() {
        if (closing) {
            throw ApiError.shuttingDown();
        }
        try {
            // the timed form honours the semaphore's fairness: a newcomer does not overtake the queue
            if (!slots.tryAcquire(0, TimeUnit.MILLISECONDS)) {
                waitInQueue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.shuttingDown();
        }
        if (closing) {
            // close() released permits to wake the queue; pass ours on to the next waiter
            slots.release();
            throw ApiError.shuttingDown();
        }
        running.incrementAndGet();
        return new Slot();
    }

    private void waitInQueue() throws InterruptedException {
        if (queued.incrementAndGet() > queueSize) {
            queued.decrementAndGet();
            throw ApiError.queueFull(running.get(), queueSize);
        }
        try {
            slots.acquire();
        } finally {
            queued.decrementAndGet();
        }
    }

    /** Refuses new and queued requests from now on (503). */
    void close() {
        closing = true;
        // wake the waiters: each sees closing, answers 503 and hands its permit to the next
        slots.release();
    }

    int running() {
        return running.get();
    }

    int queued() {
        return queued.get();
    }

    /** One held generation slot. */
    final class Slot implements AutoCloseable {
        private boolean released;

        @Override
        public void close() {
            if (!released) {
                released = true;
                running.decrementAndGet();
                slots.release();
            }
        }
    }
}
