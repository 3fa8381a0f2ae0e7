package dev.billionllm.core.hub;

import dev.billionllm.core.BillionException;

/**
 * A Hub download failed or the cache cannot serve a request. {@link #reason()} tells callers what
 * kind of failure it was without parsing the message; the message says what to do about it.
 * Messages never contain the access token.
 */
public class HubException extends BillionException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, coarse enough to branch on. */
    public enum Reason {
        /** A repo id, revision or repo file name is malformed or would escape the cache. */
        INVALID_NAME,
        /** The repository does not exist (or is private and no valid token was sent). */
        REPO_NOT_FOUND,
        /** The branch, tag or commit does not exist in the repository. */
        REVISION_NOT_FOUND,
        /** The file does not exist at that revision. */
        ENTRY_NOT_FOUND,
        /** The repository is gated: the licence must be accepted and a token set. */
        GATED,
        /** The server refused the credentials (401/403 that is not a gated repo). */
        UNAUTHORIZED,
        /** Offline mode, and the cache lacks what was asked for. */
        NOT_IN_CACHE,
        /** Downloaded bytes do not match the size or sha256 the Hub announced. */
        CORRUPT_DOWNLOAD,
        /** Any other HTTP status, a network failure after all retries, or a local I/O error. */
        TRANSFER
    }

    private final Reason reason;

    public HubException(Reason reason, String message) {
        super(Secrets.redact(message)); // messages carry URLs (HF_ENDPOINT) and server text
        this.reason = reason;
    }

    public HubException(Reason reason, String message, Throwable cause) {
        super(Secrets.redact(message), Secrets.redactCause(cause));
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
