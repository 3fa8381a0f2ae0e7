package dev.billionllm.speculative;

import dev.billionllm.core.BillionException;

/** A draft model whose tokenizer differs from the target's, used without cross-tokenizer mode. */
public final class IncompatibleDraftException extends BillionException {
    private static final long serialVersionUID = 1L;

    IncompatibleDraftException(String message) {
        super(message);
    }
}
