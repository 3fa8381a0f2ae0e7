package dev.billionllm.core.hub;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.billionllm.core.hub.HubException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * The HTTP side of the Hub protocol on top of the JDK client: authentication limited to the Hub's
 * own origin, manual redirects, status-to-error mapping and bounded retries with exponential
 * backoff. The token is added to request headers here and nowhere else; no message built here
 * contains it.
 */
final class HubHttp {

    private static final String USER_AGENT = "billion-llm/0.1; java/" + Runtime.version().feature();
    static final int MAX_REDIRECTS = 10;

    private final HubOptions options;
    private final URI endpoint;
    private final HttpClient client;

    HubHttp(HubOptions options) {
        this.options = options;
        this.endpoint = URI.create(options.endpoint());
        // Redirects are followed by hand: relative ones for metadata, and cross-host ones without
        // the Authorization header (a signed CDN URL must not receive the user's token).
        this.client = HttpClient.newBuilder()
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** What a request is about, for error messages. */
    record Target(RepoId repo, String revision, String file) {}

    /** One attempt of an operation that may be retried. */
    @FunctionalInterface
    interface Attempt<T> {
        T run() throws IOException;
    }

    /** A failure worth retrying (5xx, 429); network errors and timeouts are IOExceptions. */
    static final class RetryableStatus extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        RetryableStatus(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    URI resolveUrl(RepoId repo, String revision, String file) {
        return URI.create(options.endpoint() + "/" + repo.value() + "/resolve/"
                + HubNames.encodePath(revision, false) + "/" + HubNames.encodePath(file, true));
    }

    URI apiUrl(RepoId repo, String revision) {
        return URI.create(options.endpoint() + "/api/models/" + repo.value() + "/revision/"
                + HubNames.encodePath(revision, false));
    }

    /** Runs an attempt, retrying network errors, timeouts, 429 and 5xx with exponential backoff. */
    <T> T retrying(String what, Attempt<T> attempt) {
        IOException last = null;
        for (int i = 0; i <= options.maxRetries(); i++) {
            if (i > 0) {
                long base = options.initialBackoff().toMillis();
                sleep(Math.min(base << (i - 1), base * 8));
            }
            try {
                return attempt.run();
            } catch (IOException e) {
                last = e;
            }
        }
        String tries = options.maxRetries() == 0 ? "" : " after " + (options.maxRetries() + 1) + " attempts";
        throw new HubException(Reason.TRANSFER, "Failed to " + what + tries + ": " + describe(last)
                + ". Check the network (or HF_ENDPOINT=" + options.endpoint() + "); a partial download resumes on the next call.",
                last);
    }

    /** A request to {@code uri}, with the token only when {@code uri} is on the Hub's own origin. */
    HttpRequest.Builder request(URI uri, String method) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(options.readTimeout())
                .header("User-Agent", USER_AGENT);
        if ("http".equals(uri.getScheme())) {
            b.version(HttpClient.Version.HTTP_1_1);
        }
        if (options.token() != null && sameOrigin(uri, endpoint)) {
            b.header("Authorization", "Bearer " + options.token());
        }
        return b;
    }

    <T> HttpResponse<T> send(HttpRequest request, BodyHandler<T> handler) throws IOException {
        try {
            return client.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(Reason.TRANSFER, "Interrupted while requesting " + request.uri(), e);
        }
    }

    /** GET a JSON object from the Hub API, following relative redirects (renamed repos). */
    JsonObject getJson(URI url, Target target) {
        return retrying("fetch " + url, () -> {
            URI current = url;
            for (int hop = 0; ; hop++) {
                HttpResponse<String> r = send(request(current, "GET").header("Accept", "application/json").build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                URI next = relativeRedirect(r, current);
                if (next != null) {
                    if (hop >= MAX_REDIRECTS) {
                        throw tooManyRedirects(url, current);
                    }
                    current = next;
                    continue;
                }
                check(r, target, true);
                try {
                    return JsonParser.parseString(r.body()).getAsJsonObject();
                } catch (JsonParseException | IllegalStateException e) {
                    throw new HubException(Reason.TRANSFER, current + " did not return a JSON object: " + e.getMessage(), e);
                }
            }
        });
    }

    /** File metadata from a HEAD on the resolve URL, as huggingface_hub's get_hf_file_metadata. */
    FileMetadata head(URI url, Target target) {
        return retrying("fetch metadata of " + target.file() + " from " + url, () -> {
            URI current = url;
            for (int hop = 0; ; hop++) {
                HttpRequest req = request(current, "HEAD")
                        .header("Accept-Encoding", "identity") // the real size, not a compressed one
                        .build();
                HttpResponse<Void> r = send(req, HttpResponse.BodyHandlers.discarding());
                URI next = relativeRedirect(r, current);
                if (next != null) {
                    if (hop >= MAX_REDIRECTS) {
                        throw tooManyRedirects(url, current);
                    }
                    current = next;
                    continue;
                }
                check(r, target, false);
                var h = r.headers();
                String etagHeader = h.firstValue("X-Linked-Etag").orElse(h.firstValue("ETag").orElse(null));
                String etag = HubNames.normalizeEtag(etagHeader, current.toString());
                String commit = h.firstValue("X-Repo-Commit").orElse(null);
                Long size = parseSize(h.firstValue("X-Linked-Size").orElse(h.firstValue("Content-Length").orElse(null)));
                URI location = h.firstValue("Location").map(current::resolve).orElse(current);
                if (etag == null) {
                    throw new HubException(Reason.TRANSFER, current + " returned no ETag; cannot store the file"
                            + " reproducibly (is HF_ENDPOINT a Hugging Face Hub?)");
                }
                if (size == null) {
                    throw new HubException(Reason.TRANSFER, current + " returned no X-Linked-Size or Content-Length");
                }
                if (commit != null && !HubNames.isCommitHash(commit)) {
                    throw new HubException(Reason.TRANSFER, current + " returned a malformed X-Repo-Commit \"" + commit + "\"");
                }
                return new FileMetadata(commit, etag, size, location);
            }
        });
    }

    /**
     * Maps an error status to an exception: 5xx and 429 become {@link RetryableStatus}, the
     * rest a {@link HubException} whose message says what to do.
     */
    void check(HttpResponse<?> r, Target t, boolean api) throws RetryableStatus {
        int status = r.statusCode();
        if (status < 300 || (status < 400 && !api && r.headers().firstValue("Location").isPresent())) {
            return;
        }
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        // Server-supplied: may echo credentials or carry terminal control characters.
        String serverMessage = r.headers().firstValue("X-Error-Message")
                .map(m -> " (Hub: " + Secrets.serverText(m, 300) + ")").orElse("");
        if (status >= 500 || status == 429) {
            throw new RetryableStatus(status, "HTTP " + status + " from " + r.uri());
        }
        String page = options.endpoint() + "/" + t.repo().value();
        if (code.equalsIgnoreCase("GatedRepo") || (status == 401 && code.isEmpty())) {
            throw new HubException(Reason.GATED, gatedMessage(t, page, status, code.equalsIgnoreCase("GatedRepo")) + serverMessage);
        }
        if (code.equalsIgnoreCase("RepoNotFound") || (api && status == 404 && code.isEmpty())) {
            throw new HubException(Reason.REPO_NOT_FOUND, "Repository " + t.repo() + " was not found at "
                    + options.endpoint() + " (HTTP " + status + "). Check the id; a private repo also needs HF_TOKEN"
                    + " (token: " + options.tokenSourceDescription() + ")." + serverMessage);
        }
        if (code.equalsIgnoreCase("RevisionNotFound")) {
            throw new HubException(Reason.REVISION_NOT_FOUND, "Revision \"" + t.revision() + "\" does not exist in "
                    + t.repo() + " (see " + page + "/tree/main for branches and commits)." + serverMessage);
        }
        if (code.equalsIgnoreCase("EntryNotFound") || status == 404) {
            throw new HubException(Reason.ENTRY_NOT_FOUND, "File \"" + t.file() + "\" does not exist in " + t.repo()
                    + " at revision " + t.revision() + " (HTTP " + status + ")." + serverMessage);
        }
        if (status == 401 || status == 403) {
            throw new HubException(Reason.UNAUTHORIZED, "Access to " + t.repo() + " was refused (HTTP " + status
                    + "). Check that HF_TOKEN is valid and has read access (token: " + options.tokenSourceDescription()
                    + ")." + serverMessage);
        }
        throw new HubException(Reason.TRANSFER, "HTTP " + status + " from " + r.uri() + serverMessage);
    }

    private String gatedMessage(Target t, String page, int status, boolean gated) {
        String what = gated ? "is gated" : "may be gated or private";
        String tokenState = options.hasToken()
                ? "A token was sent (" + options.tokenSourceDescription() + ") but it does not have access yet:"
                        + " approval can take a while after accepting, and the token must belong to the account"
                        + " that accepted."
                : "No token was found (" + options.tokenSourceDescription() + ").";
        return "Cannot download " + t.repo() + ": the model " + what + " (HTTP " + status + "). To get access:"
                + " 1) log in and accept the licence at " + page + "; 2) create a read token at "
                + options.endpoint() + "/settings/tokens; 3) set HF_TOKEN=<token> (or run `huggingface-cli login`)."
                + " " + tokenState;
    }

    static HubException tooManyRedirects(URI start, URI last) {
        return new HubException(Reason.TRANSFER, "Too many redirects (more than " + MAX_REDIRECTS + ") from " + start
                + ", the last to " + last + "; the server is redirecting in a loop");
    }

    /** The target of a relative redirect (same host), or null when the response is not one. */
    private static URI relativeRedirect(HttpResponse<?> r, URI current) {
        int s = r.statusCode();
        if (s < 300 || s >= 400) {
            return null;
        }
        String location = r.headers().firstValue("Location").orElse(null);
        if (location == null) {
            return null;
        }
        URI loc = URI.create(location);
        // huggingface_hub follows only host-less redirects for metadata (renamed repos); an
        // absolute one is the CDN location of an LFS file and is returned as metadata.
        return loc.getHost() == null && loc.getScheme() == null ? current.resolve(loc) : null;
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme()))
                && Objects.equals(lower(a.getHost()), lower(b.getHost()))
                && port(a) == port(b);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static Long parseSize(String s) {
        if (s == null) {
            return null;
        }
        try {
            long v = Long.parseLong(s.trim());
            return v >= 0 ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static void drain(InputStream in) {
        try (in) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the body of an error response is not needed
        }
    }

    private static String describe(Throwable e) {
        if (e == null) {
            return "unknown error";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(Reason.TRANSFER, "Interrupted while waiting to retry", e);
        }
    }

    /** Metadata of one repo file. {@code commit} may be null when the server does not send it. */
    record FileMetadata(String commit, String etag, long size, URI location) {}
}
