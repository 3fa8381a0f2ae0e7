package dev.billionllm.core.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a {@link HubClient}: where the Hub is, where the cache is, the token, offline and
 * quiet modes, retries and timeouts. Immutable; build one with {@link #builder()} or take the
 * environment's with {@link #fromEnvironment()} (the variables huggingface_hub reads, so both
 * tools share one cache and one login).
 *
 * <pre>{@code
 * HubOptions options = HubOptions.fromEnvironment().toBuilder().optQuiet(true).build();
 * Path snapshot = new HubClient(options).download("TinyLlama/TinyLlama-1.1B-Chat-v1.0");
 * }</pre>
 *
 * <p>{@link #toString()} never shows the token.
 */
public final class HubOptions {

    /** The public Hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private final String endpoint;
    private final Path cacheDir;
    private final String token;
    private final Path tokenSource;
    private final boolean offline;
    private final boolean quiet;
    private final int maxRetries;
    private final Duration initialBackoff;
    private final Duration connectTimeout;
    private final Duration readTimeout;

    private HubOptions(Builder b) {
        this.endpoint = b.endpoint;
        this.cacheDir = b.cacheDir;
        this.token = b.token;
        this.tokenSource = b.tokenSource;
        this.offline = b.offline;
        this.quiet = b.quiet;
        this.maxRetries = b.maxRetries;
        this.initialBackoff = b.initialBackoff;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
    }

    /** Defaults that ignore the environment (public Hub, ~/.cache/huggingface/hub, no token, online). */
    public static Builder builder() {
        return new Builder();
    }

    /** Options from the process environment and the user's home; see {@link #fromEnvironment(Map, Path)}. */
    public static HubOptions fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Options from the variables huggingface_hub reads:
     * <ul>
     *   <li>{@code HF_ENDPOINT}: the Hub URL (default {@value #DEFAULT_ENDPOINT});
     *   <li>{@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else {@code XDG_CACHE_HOME/huggingface/hub},
     *       else {@code ~/.cache/huggingface/hub}: the cache root;
     *   <li>{@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH}, else {@code HF_HOME/token}
     *       (default {@code ~/.cache/huggingface/token}, where {@code huggingface-cli login} writes it);
     *   <li>{@code HF_HUB_OFFLINE=1}: cache only; {@code HF_HUB_DISABLE_PROGRESS_BARS=1}: quiet;
     *   <li>{@code HF_HUB_DOWNLOAD_TIMEOUT}: seconds a transfer may stall (default 10, as in Python).
     * </ul>
     */
    public static HubOptions fromEnvironment(Map<String, String> env, Path userHome) {
        Builder b = builder();
        String endpoint = nonBlank(env.get("HF_ENDPOINT"));
        if (endpoint != null) {
            b.optEndpoint(endpoint);
        }
        Path xdgCache = nonBlank(env.get("XDG_CACHE_HOME")) != null
                ? expand(env.get("XDG_CACHE_HOME"), userHome) : userHome.resolve(".cache");
        Path hfHome = nonBlank(env.get("HF_HOME")) != null
                ? expand(env.get("HF_HOME"), userHome) : xdgCache.resolve("huggingface");
        Path hubCache = nonBlank(env.get("HF_HUB_CACHE")) != null
                ? expand(env.get("HF_HUB_CACHE"), userHome) : hfHome.resolve("hub");
        b.optCacheDir(hubCache);

        String token = nonBlank(env.get("HF_TOKEN"));
        if (token == null) {
            // Deprecated name, still honoured by huggingface_hub.
            token = nonBlank(env.get("HUGGING_FACE_HUB_TOKEN"));
        }
        if (token != null) {
            b.optToken(token);
        } else {
            Path tokenFile = nonBlank(env.get("HF_TOKEN_PATH")) != null
                    ? expand(env.get("HF_TOKEN_PATH"), userHome) : hfHome.resolve("token");
            b.optTokenFile(tokenFile);
        }
        b.optOffline(truthy(env.get("HF_HUB_OFFLINE")));
        b.optQuiet(truthy(env.get("HF_HUB_DISABLE_PROGRESS_BARS")));
        String timeout = nonBlank(env.get("HF_HUB_DOWNLOAD_TIMEOUT"));
        if (timeout != null) {
            try {
                b.optReadTimeout(Duration.ofMillis((long) (Double.parseDouble(timeout) * 1000)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds, got \""
                        + timeout + "\"", e);
            }
        }
        return b.build();
    }

    /** Hub base URL without a trailing slash. */
    public String endpoint() {
        return endpoint;
    }

    /** Cache root (the folder holding {@code models--org--name}). */
    public Path cacheDir() {
        return cacheDir;
    }

    /** Whether a token is configured (the token itself is only handed to the HTTP layer). */
    public boolean hasToken() {
        return token != null;
    }

    String token() {
        return token;
    }

    /** Where the token came from, for messages: "HF_TOKEN", a file path, or "none". */
    String tokenSourceDescription() {
        if (token == null) {
            return tokenSource == null ? "none" : "none (no token file at " + tokenSource + ")";
        }
        return tokenSource == null ? "set explicitly or from HF_TOKEN" : "read from " + tokenSource;
    }

    public boolean offline() {
        return offline;
    }

    public boolean quiet() {
        return quiet;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration initialBackoff() {
        return initialBackoff;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration readTimeout() {
        return readTimeout;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.endpoint = endpoint;
        b.cacheDir = cacheDir;
        b.token = token;
        b.tokenSource = tokenSource;
        b.offline = offline;
        b.quiet = quiet;
        b.maxRetries = maxRetries;
        b.initialBackoff = initialBackoff;
        b.connectTimeout = connectTimeout;
        b.readTimeout = readTimeout;
        return b;
    }

    @Override
    public String toString() {
        return "HubOptions{endpoint=" + Secrets.redact(endpoint) + ", cacheDir=" + cacheDir + ", token="
                + (token == null ? "none" : "<hidden>") + ", offline=" + offline + ", quiet=" + quiet
                + ", maxRetries=" + maxRetries + ", readTimeout=" + readTimeout + "}";
    }

    private static String nonBlank(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static boolean truthy(String s) {
        if (s == null) {
            return false;
        }
        String v = s.trim().toUpperCase(Locale.ROOT);
        return v.equals("1") || v.equals("ON") || v.equals("YES") || v.equals("TRUE");
    }

    private static Path expand(String value, Path userHome) {
        String v = value.trim();
        if (v.equals("~")) {
            return userHome;
        }
        if (v.startsWith("~/")) {
            return userHome.resolve(v.substring(2));
        }
        return Path.of(v);
    }

    /** Builder for {@link HubOptions}; every setter documents its default. */
    public static final class Builder {
        private String endpoint = DEFAULT_ENDPOINT;
        private Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        private String token;
        private Path tokenSource;
        private boolean offline;
        private boolean quiet;
        private int maxRetries = 5;
        private Duration initialBackoff = Duration.ofSeconds(1);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(10);

        private Builder() {}

        /** Hub base URL, http or https; default {@value HubOptions#DEFAULT_ENDPOINT}. */
        public Builder optEndpoint(String endpoint) {
            Objects.requireNonNull(endpoint, "endpoint");
            String e = endpoint.trim();
            while (e.endsWith("/")) {
                e = e.substring(0, e.length() - 1);
            }
            URI uri;
            try {
                uri = URI.create(e);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("endpoint is not a URL: \"" + endpoint + "\"", ex);
            }
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("endpoint must be an http(s) URL with a host, got \""
                        + endpoint + "\" (example: https://huggingface.co)");
            }
            this.endpoint = e;
            return this;
        }

        /** Cache root; default {@code ~/.cache/huggingface/hub} (the environment is read only by fromEnvironment). */
        public Builder optCacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /** Access token for gated or private repos; default none. Blank means none. */
        public Builder optToken(String token) {
            this.token = token == null || token.isBlank() ? null : token.trim();
            this.tokenSource = null;
            return this;
        }

        /**
         * Reads the token from a file such as {@code ~/.cache/huggingface/token} if it exists;
         * a missing file leaves no token. Default: no file is read.
         */
        public Builder optTokenFile(Path file) {
            Objects.requireNonNull(file, "file");
            this.tokenSource = file;
            this.token = null;
            if (Files.isRegularFile(file)) {
                try {
                    String t = Files.readString(file, StandardCharsets.UTF_8).trim();
                    this.token = t.isEmpty() ? null : t;
                } catch (IOException e) {
                    // The message names the file only; the content is the secret.
                    throw new IllegalArgumentException("cannot read the token file " + file + ": "
                            + e.getClass().getSimpleName(), e);
                }
            }
            return this;
        }

        /** Cache only, no network; default false. */
        public Builder optOffline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /** No progress bars and no informational output; default false. */
        public Builder optQuiet(boolean quiet) {
            this.quiet = quiet;
            return this;
        }

        /** Retries after a network error, a timeout, 429 or 5xx; default 5, 0 disables retrying. */
        public Builder optMaxRetries(int maxRetries) {
            if (maxRetries < 0 || maxRetries > 100) {
                throw new IllegalArgumentException("maxRetries must be in 0..100, got " + maxRetries);
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /** First retry delay, doubled each retry up to 8x; default 1 s. */
        public Builder optInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = positiveOrZero(initialBackoff, "initialBackoff");
            return this;
        }

        /** TCP connect timeout; default 10 s. */
        public Builder optConnectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        /** Longest wait for response headers or for the next bytes of a body; default 10 s. */
        public Builder optReadTimeout(Duration readTimeout) {
            this.readTimeout = positive(readTimeout, "readTimeout");
            return this;
        }

        public HubOptions build() {
            return new HubOptions(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }

        private static Duration positiveOrZero(Duration d, String name) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be >= 0, got " + d);
            }
            return d;
        }
    }
}
