package dev.billionllm.core.cache;

import dev.billionllm.core.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which model a folder holds, as a key that changes whenever the weights could have changed.
 *
 * <p>A folder in the Hugging Face cache ({@code models--org--name/snapshots/COMMIT}) is named by
 * its repo and commit: a snapshot never changes. Any other folder gets a fingerprint of its
 * config.json bytes and, per weight file, its name, size, modification time and the SHA-256 of
 * its safetensors header (names, dtypes, shapes, offsets): cheap to compute for gigabytes of
 * weights, and any re-save or re-download changes it.
 *
 * @param key a file-name-safe cache key, e.g. {@code models--TinyLlama--TinyLlama-1.1B-Chat-v1.0--fe8a4ea}
 * @param description what the key stands for, for {@code billion cache list}
 */
public record ModelIdentity(String key, String description) {

    private static final int MAX_HEADER_BYTES = 100 << 20;

    /** The identity of {@code folder} (must contain config.json). */
    public static ModelIdentity of(Path folder) {
        Path real;
        try {
            real = folder.toRealPath();
        } catch (IOException e) {
            throw new ConfigException(folder + ": cannot read the model folder: " + e.getMessage(), e);
        }
        if (!Files.isRegularFile(real.resolve("config.json"))) {
            throw new ConfigException(folder + ": no config.json (expected a Hugging Face model folder)");
        }
        Path parent = real.getParent();
        Path repoDir = parent == null ? null : parent.getParent();
        if (parent != null && repoDir != null && parent.getFileName().toString().equals("snapshots")
                && repoDir.getFileName().toString().startsWith("models--")) {
            String repoFolder = repoDir.getFileName().toString();
            String commit = real.getFileName().toString();
            String repo = repoFolder.substring("models--".length()).replace("--", "/");
            return new ModelIdentity(safe(repoFolder) + "--" + safe(commit),
                    "Hub repo " + repo + " at commit " + commit);
        }
        return new ModelIdentity(safe(real.getFileName().toString()) + "-" + fingerprint(real).substring(0, 16),
                "folder " + real + " (content fingerprint)");
    }

    /** SHA-256 over config.json and each weight file's name, size, mtime and safetensors header. */
    static String fingerprint(Path folder) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(folder.resolve("config.json")));
            for (Path weights : weightFiles(folder)) {
                sha.update(weights.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                sha.update(Long.toString(Files.size(weights)).getBytes(StandardCharsets.UTF_8));
                sha.update(Files.getLastModifiedTime(weights).toString().getBytes(StandardCharsets.UTF_8));
                if (weights.getFileName().toString().endsWith(".safetensors")) {
                    sha.update(safetensorsHeader(weights));
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the model folder " + folder, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static List<Path> weightFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json");
            }).sorted().collect(Collectors.toList());
        }
    }

    /** The 8-byte length and the JSON header of a safetensors file (not the tensor data). */
    private static byte[] safetensorsHeader(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] lengthBytes = in.readNBytes(8);
            if (lengthBytes.length < 8) {
                return lengthBytes;
            }
            long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            // A corrupt length is the loader's error to report; the fingerprint only needs to differ.
            return in.readNBytes((int) Math.max(0, Math.min(length, MAX_HEADER_BYTES)));
        }
    }

    private static String safe(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.length() > 80 ? s.substring(0, 80) : s;
    }
}
