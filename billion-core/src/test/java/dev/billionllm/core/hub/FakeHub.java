package dev.billionllm.core.hub;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A loopback stand-in for the Hugging Face Hub: the model-info API, {@code resolve} URLs with the
 * Hub's headers ({@code X-Repo-Commit}, {@code ETag}, {@code X-Linked-Etag}, {@code X-Linked-Size}),
 * 302 redirects of LFS files to a second server (the "CDN", another origin), Range requests,
 * gated repos, renamed repos (relative redirects) and error codes. Faults can be injected, and
 * every request is recorded. Public (and in billion-core's test-jar) so that other modules' tests
 * can download from it, as {@code billion download} does: start one, {@link #add} a repo (for
 * example {@link Repo#ofFolder} of a fixture) and point {@code HF_ENDPOINT} or
 * {@code HubOptions.optEndpoint} at {@link #endpoint()}.
 */
public final class FakeHub implements AutoCloseable {

    /** One recorded request. */
    public record Request(String server, String method, String path, String range, String authorization) {}

    /** A repository at one commit. */
    public static final class Repo {
        final String id;
        final String commit;
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final List<String> lfs = new ArrayList<>();
        final List<String> extraSiblings = new ArrayList<>();
        String gatedToken; // non-null: gated, and only this token is approved

        /**
         * A repo serving every file of a model folder, safetensors through the LFS path (the CDN),
         * the rest as plain files.
         */
        public static Repo ofFolder(String id, String commit, Path folder) throws IOException {
            Repo repo = new Repo(id, commit);
            try (Stream<Path> files = Files.list(folder)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    String name = f.getFileName().toString();
                    byte[] bytes = Files.readAllBytes(f);
                    if (name.endsWith(".safetensors")) {
                        repo.lfsFile(name, bytes);
                    } else {
                        repo.file(name, bytes);
                    }
                }
            }
            return repo;
        }

        public Repo(String id, String commit) {
            this.id = id;
            this.commit = commit;
        }

        public Repo file(String name, byte[] content) {
            files.put(name, content);
            return this;
        }

        public Repo lfsFile(String name, byte[] content) {
            files.put(name, content);
            lfs.add(name);
            return this;
        }
    }

    final HttpServer hub;
    final HttpServer cdn;
    /** Every request, in arrival order. */
    public final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    final Map<String, String> renamed = new ConcurrentHashMap<>();

    // Fault injection.
    volatile String dropFile;
    volatile long dropAfterBytes;
    final AtomicInteger dropsLeft = new AtomicInteger();
    volatile String corruptFile;
    volatile boolean ignoreRange;
    final AtomicInteger serverErrorsLeft = new AtomicInteger();
    final AtomicInteger stallsLeft = new AtomicInteger();
    /** How long a stalled response hangs: far beyond any read timeout a test sets, so only a watchdog ends it early. */
    static final long STALL_MILLIS = 20_000;

    public FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", ex -> handle(ex, this::hubRequest, "hub"));
        cdn.createContext("/", ex -> handle(ex, this::cdnRequest, "cdn"));
        hub.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        cdn.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        hub.start();
        cdn.start();
    }

    /** The Hub's base URL, for {@code HF_ENDPOINT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    /** Serves {@code repo} from now on. */
    public Repo add(Repo repo) {
        repos.put(repo.id, repo);
        return repo;
    }

    List<Request> requests(String server) {
        synchronized (requests) {
            return requests.stream().filter(r -> r.server().equals(server)).toList();
        }
    }

    int count() {
        return requests.size();
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The git blob id, which the Hub sends as the ETag of regular files. */
    static String gitSha1(byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + data.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Handler {
        void handle(HttpExchange ex, List<String> parts) throws IOException;
    }

    private void handle(HttpExchange ex, Handler h, String server) throws IOException {
        try {
            requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                    ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
            if (serverErrorsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                ex.sendResponseHeaders(503, -1);
                return;
            }
            List<String> parts = new ArrayList<>();
            for (String p : ex.getRequestURI().getRawPath().split("/")) {
                if (!p.isEmpty()) {
                    parts.add(URLDecoder.decode(p, StandardCharsets.UTF_8));
                }
            }
            h.handle(ex, parts);
        } catch (IOException e) {
            // a dropped connection, on purpose
        } finally {
            // Closing with bytes still owed drops the connection: that is the injected fault.
            ex.close();
        }
    }

    private void hubRequest(HttpExchange ex, List<String> p) throws IOException {
        if (p.size() >= 6 && p.get(0).equals("api") && p.get(1).equals("models") && p.get(4).equals("revision")) {
            String id = p.get(2) + "/" + p.get(3);
            String revision = String.join("/", p.subList(5, p.size()));
            if (renamed.containsKey(id)) {
                redirect(ex, 307, "/api/models/" + renamed.get(id) + "/revision/" + revision);
                return;
            }
            Repo repo = repos.get(id);
            if (repo == null) {
                error(ex, 404, "RepoNotFound", "Repository not found");
                return;
            }
            if (!revision.equals("main") && !revision.equals(repo.commit)) {
                error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
                return;
            }
            JsonObject info = new JsonObject();
            info.addProperty("id", repo.id);
            info.addProperty("sha", repo.commit);
            JsonArray siblings = new JsonArray();
            for (String name : repo.files.keySet()) {
                JsonObject s = new JsonObject();
                s.addProperty("rfilename", name);
                siblings.add(s);
            }
            for (String name : repo.extraSiblings) {
                JsonObject s = new JsonObject();
                s.addProperty("rfilename", name);
                siblings.add(s);
            }
            info.add("siblings", siblings);
            info.addProperty("gated", repo.gatedToken != null ? "manual" : "false");
            byte[] body = info.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            return;
        }
        if (p.size() >= 5 && p.get(2).equals("resolve")) {
            String id = p.get(0) + "/" + p.get(1);
            String revision = p.get(3);
            String file = String.join("/", p.subList(4, p.size()));
            if (renamed.containsKey(id)) {
                String raw = ex.getRequestURI().getRawPath();
                redirect(ex, 307, "/" + renamed.get(id) + raw.substring(raw.indexOf("/resolve/")));
                return;
            }
            Repo repo = repos.get(id);
            if (repo == null) {
                error(ex, 404, "RepoNotFound", "Repository not found");
                return;
            }
            if (repo.gatedToken != null) {
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                if (auth == null) {
                    error(ex, 401, "GatedRepo", "Access to model " + id + " is restricted. You must have access to it"
                            + " and be authenticated to access it. Please log in.");
                    return;
                }
                if (!auth.equals("Bearer " + repo.gatedToken)) {
                    error(ex, 403, "GatedRepo", "Access to model " + id + " is restricted and you are not in the"
                            + " authorized list. Visit https://huggingface.co/" + id + " to ask for access.");
                    return;
                }
            }
            if (!revision.equals("main") && !revision.equals(repo.commit)) {
                error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
                return;
            }
            byte[] content = repo.files.get(file);
            if (content == null) {
                ex.getResponseHeaders().set("X-Repo-Commit", repo.commit);
                error(ex, 404, "EntryNotFound", "Entry not found");
                return;
            }
            ex.getResponseHeaders().set("X-Repo-Commit", repo.commit);
            if (repo.lfs.contains(file)) {
                String sha = sha256(content);
                String pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha + "\nsize " + content.length + "\n";
                ex.getResponseHeaders().set("ETag", "\"" + gitSha1(pointer.getBytes(StandardCharsets.UTF_8)) + "\"");
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", String.valueOf(content.length));
                redirect(ex, 302, "http://127.0.0.1:" + cdn.getAddress().getPort() + "/cdn/" + sha + "?name="
                        + java.net.URLEncoder.encode(file, StandardCharsets.UTF_8) + "&signature=abc");
                return;
            }
            ex.getResponseHeaders().set("ETag", "\"" + gitSha1(content) + "\"");
            serve(ex, file, content);
            return;
        }
        error(ex, 404, null, "no route");
    }

    private void cdnRequest(HttpExchange ex, List<String> p) throws IOException {
        if (p.size() == 2 && p.get(0).equals("cdn")) {
            String query = ex.getRequestURI().getQuery();
            String file = query.substring(query.indexOf("name=") + 5, query.indexOf('&'));
            for (Repo repo : repos.values()) {
                for (var e : repo.files.entrySet()) {
                    if (repo.lfs.contains(e.getKey()) && sha256(e.getValue()).equals(p.get(1))) {
                        serve(ex, file, e.getValue());
                        return;
                    }
                }
            }
        }
        error(ex, 404, null, "no such object");
    }

    /** A file body with Range support and the injected faults. */
    private void serve(HttpExchange ex, String file, byte[] content) throws IOException {
        byte[] data = content;
        if (file.equals(corruptFile)) {
            data = Arrays.copyOf(content, content.length);
            data[data.length / 2] ^= 0x55;
        }
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && !ignoreRange && range.startsWith("bytes=") && range.endsWith("-")) {
            start = Long.parseLong(range.substring(6, range.length() - 1));
            if (start >= data.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
        }
        boolean partial = start > 0;
        if (partial) {
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        long length = data.length - start;
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(length));
            ex.sendResponseHeaders(partial ? 206 : 200, -1);
            return;
        }
        ex.sendResponseHeaders(partial ? 206 : 200, length);
        OutputStream out = ex.getResponseBody();
        if (file.equals(dropFile) && dropsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            int upTo = (int) Math.max(start, Math.min(dropAfterBytes, data.length - 1));
            out.write(data, (int) start, upTo - (int) start);
            out.flush();
            // Closing with bytes still owed makes the server drop the connection.
            return;
        }
        if (stallsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            out.write(data, (int) start, (int) Math.min(1000, length / 2));
            out.flush();
            try {
                Thread.sleep(STALL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        out.write(data, (int) start, (int) length);
    }

    private static void redirect(HttpExchange ex, int status, String location) throws IOException {
        ex.getResponseHeaders().set("Location", location);
        ex.sendResponseHeaders(status, -1);
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        if (code != null) {
            ex.getResponseHeaders().set("X-Error-Code", code);
        }
        ex.getResponseHeaders().set("X-Error-Message", message);
        byte[] body = ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }
}
