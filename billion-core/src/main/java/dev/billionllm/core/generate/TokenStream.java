package dev.billionllm.core.generate;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A generation consumed one token at a time, made by {@link Generator#stream}. Tokens are computed
 * lazily, on the thread that asks for them. Not thread-safe; close it to stop early (the result
 * then says CANCELLED) and to free the KV cache.
 */
public final class TokenStream implements Iterator<TokenEvent>, AutoCloseable {
    private final DecodeLoop loop;
    private final ArrayDeque<TokenEvent> pending = new ArrayDeque<>();

    TokenStream(DecodeLoop loop) {
        this.loop = loop;
    }

    @Override
    public boolean hasNext() {
        while (pending.isEmpty() && !loop.isDone()) {
            pending.addAll(loop.step());
        }
        return !pending.isEmpty();
    }

    @Override
    public TokenEvent next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation has finished; see result()");
        }
        return pending.poll();
    }

    /** The tokens as a sequential {@link Stream}; closing the stream closes this. */
    public Stream<TokenEvent> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false)
                .onClose(this::close);
    }

    /**
     * The result, once every token has been taken or the stream was closed.
     *
     * @throws IllegalStateException while tokens remain
     */
    public GenerationResult result() {
        if (!loop.isDone() || !pending.isEmpty()) {
            throw new IllegalStateException("the generation is still running: take every token or close the stream first");
        }
        return loop.results().get(0);
    }

    /** Stops the generation if it is still running (finish reason CANCELLED) and frees its cache. */
    @Override
    public void close() {
        if (!loop.isDone()) {
            loop.cancel();
        }
        pending.clear();
        loop.close();
    }
}
