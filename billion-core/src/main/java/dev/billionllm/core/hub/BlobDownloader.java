package dev.billionllm.core.hub;

import dev.billionllm.core.hub.HubException.Reason;
import dev.billionllm.core.hub.HubHttp.FileMetadata;
import dev.billionllm.core.hub.HubHttp.Target;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Downloads one blob into {@code blobs/{etag}}: bytes go to {@code blobs/{etag}.incomplete},
 * an interrupted transfer resumes with {@code Range: bytes=N-}, the size (and for LFS files the
 * sha256 the ETag names) is checked, and only then is the file moved into place atomically. The
 * blob's lock is held throughout so that another process never writes the same file.
 */
final class BlobDownloader {

    private static final System.Logger LOG = System.getLogger(BlobDownloader.class.getPackageName());

    // One daemon thread watches every transfer for stalls; the JDK client's request timeout
    // stops at the response headers and does not cover a body that stops arriving.
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "billion-hub-stall-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final HubHttp http;
    private final HubCache cache;
    private final HubOptions options;

    BlobDownloader(HubHttp http, HubCache cache, HubOptions options) {
        this.http = http;
        this.cache = cache;
        this.options = options;
    }

    /** Makes sure {@code blobs/{etag}} holds the verified content of the file and returns its path. */
    Path fetch(RepoId repo, FileMetadata meta, Target target) {
        Path blob = cache.blob(repo, meta.etag());
        if (Files.isRegularFile(blob)) {
            return blob;
        }
        try (HubCache.BlobLock lock = cache.lock(repo, meta.etag())) {
            if (Files.isRegularFile(blob)) {
                return blob; // another process finished it while we waited
            }
            Path part = cache.incomplete(repo, meta.etag());
            Files.createDirectories(part.getParent());
            http.retrying("download " + target.file() + " of " + repo, () -> {
                transfer(meta, part, target);
                return null;
            });
            verify(repo, meta, part, target);
            Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return blob;
        } catch (IOException e) {
            throw HubCache.ioFailure("store " + blob, e);
        }
    }

    /** One attempt: continue the .incomplete file from where it ends. */
    private void transfer(FileMetadata meta, Path part, Target target) throws IOException {
        long expected = meta.size();
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (have > expected) {
            Files.delete(part);
            have = 0;
        }
        if (have == expected) {
            if (!Files.exists(part)) {
                Files.createFile(part); // an empty file needs no request
            }
            return;
        }
        URI url = meta.location();
        for (int hop = 0; ; hop++) {
            var req = http.request(url, "GET");
            if (have > 0) {
                req.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = r.statusCode();
            if (status >= 300 && status < 400 && r.headers().firstValue("Location").isPresent()) {
                HubHttp.drain(r.body());
                if (hop >= HubHttp.MAX_REDIRECTS) {
                    throw HubHttp.tooManyRedirects(meta.location(), url);
                }
                // The next hop gets the token only if it is on the Hub's origin (see HubHttp.request).
                url = url.resolve(r.headers().firstValue("Location").get());
                continue;
            }
            if (status == 416) {
                HubHttp.drain(r.body());
                Files.deleteIfExists(part);
                throw new IOException("the server refused to resume at byte " + have + " (HTTP 416); restarting");
            }
            if (status >= 300) {
                HubHttp.drain(r.body());
                http.check(r, target, false);
                throw new IOException("unexpected HTTP " + status + " from " + url);
            }
            boolean append = status == 206;
            if (append && !contentRangeStartsAt(r, have)) {
                HubHttp.drain(r.body());
                Files.deleteIfExists(part);
                throw new IOException("the server resumed at the wrong offset (Content-Range "
                        + r.headers().firstValue("Content-Range").orElse("missing") + ", wanted " + have + "); restarting");
            }
            if (!append && have > 0) {
                // A 200 answers a Range request with the whole file: start over rather than append.
                LOG.log(System.Logger.Level.DEBUG, "{0} ignored the Range request; restarting {1}", url.getHost(), target.file());
                have = 0;
            }
            copyBody(r.body(), part, append, have, expected, target.file());
            return;
        }
    }

    private void copyBody(InputStream body, Path part, boolean append, long start, long expected, String name)
            throws IOException {
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long timeoutNanos = options.readTimeout().toNanos();
        long period = Math.max(10, options.readTimeout().toMillis() / 4);
        ScheduledFuture<?> watch = WATCHDOG.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastProgress.get() > timeoutNanos && stalled.compareAndSet(false, true)) {
                try {
                    body.close(); // wakes the blocked read
                } catch (IOException e) {
                    // closing is best effort
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
        long written = start;
        try (InputStream in = body;
                FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
                ProgressBar bar = progressBar(name, expected, start)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                lastProgress.set(System.nanoTime());
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
                written += n;
                if (bar != null) {
                    bar.stepTo(written);
                }
                if (written > expected) {
                    break;
                }
            }
        } catch (IOException e) {
            if (stalled.get()) {
                throw new java.net.http.HttpTimeoutException("no data for " + options.readTimeout().toSeconds()
                        + " s after " + written + " of " + expected + " bytes");
            }
            throw e;
        } finally {
            watch.cancel(false);
        }
        if (stalled.get()) {
            throw new java.net.http.HttpTimeoutException("no data for " + options.readTimeout().toSeconds()
                    + " s after " + written + " of " + expected + " bytes");
        }
        if (written > expected) {
            Files.deleteIfExists(part);
            throw new IOException("received more than the announced " + expected + " bytes; restarting");
        }
        if (written < expected) {
            // Keep the partial file: the retry (or the next call) resumes from here.
            throw new IOException("connection closed after " + written + " of " + expected + " bytes");
        }
    }

    private ProgressBar progressBar(String name, long size, long start) {
        if (options.quiet()) {
            return null;
        }
        String unit = size >= (1 << 20) ? "MiB" : size >= (10 << 10) ? "KiB" : "B";
        long scale = size >= (1 << 20) ? 1 << 20 : size >= (10 << 10) ? 1 << 10 : 1;
        // An explicit consumer on System.err: the library's default probes the terminal through
        // jline, which is slow to start and writes past a redirected System.err.
        return new ProgressBarBuilder()
                .setTaskName(name.length() > 40 ? "..." + name.substring(name.length() - 37) : name)
                .setInitialMax(size)
                .setUnit(unit, scale)
                .showSpeed()
                .startsFrom(start, Duration.ZERO)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, terminalWidth()))
                .build();
    }

    private static int terminalWidth() {
        try {
            int columns = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "100").trim());
            return Math.max(40, Math.min(columns, 200));
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    private static boolean contentRangeStartsAt(HttpResponse<?> r, long offset) {
        // "bytes 100-199/200"
        String cr = r.headers().firstValue("Content-Range").orElse("");
        return cr.startsWith("bytes " + offset + "-");
    }

    /** Size always; sha256 for LFS files, whose ETag is the sha256 of the content. */
    private static void verify(RepoId repo, FileMetadata meta, Path part, Target target) throws IOException {
        long size = Files.size(part);
        if (size != meta.size()) {
            Files.deleteIfExists(part);
            throw new HubException(Reason.CORRUPT_DOWNLOAD, target.file() + " of " + repo + ": expected "
                    + meta.size() + " bytes, got " + size + "; the partial file was deleted, run the download again");
        }
        if (!HubNames.isSha256(meta.etag())) {
            return;
        }
        String actual = sha256(part);
        if (!actual.equals(meta.etag())) {
            Files.deleteIfExists(part);
            throw new HubException(Reason.CORRUPT_DOWNLOAD, target.file() + " of " + repo
                    + ": sha256 mismatch, expected " + meta.etag() + " but the download has " + actual
                    + "; the corrupt file was deleted and not used, run the download again");
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
