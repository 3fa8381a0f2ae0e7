package dev.billionllm.core.internal.backend.onnx;

import dev.billionllm.core.platform.CpuFeatures;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recognises our exports whose int8 weights ONNX Runtime cannot run exactly on this CPU: exports
 * before builder version 3 (no {@code int8_encoding} in their metadata) and exports asked for with
 * the {@code s8} encoding store full-range int8, which saturates on x86 CPUs without VNNI (see
 * {@code export.Int8Encoding}). Such a model still loads; the user is told once per file.
 */
final class LegacyInt8Check {

    private static final System.Logger LOG = System.getLogger(LegacyInt8Check.class.getPackageName());
    private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

    private LegacyInt8Check() {}

    /**
     * The warning for a model with these custom metadata entries (the exporter writes every
     * billion-export.json entry as {@code billion.<key>}) on {@code cpu}, if any.
     */
    static Optional<String> warning(Path file, Map<String, String> metadata, CpuFeatures cpu) {
        boolean int8 = "int8".equals(metadata.get("billion.precision"))
                || "int8".equals(metadata.get("billion.lm_head_precision"));
        if (!int8 || !cpu.saturatesU8S8()) {
            return Optional.empty();
        }
        String encoding = metadata.getOrDefault("billion.int8_encoding", "s8");
        if (!encoding.equals("s8")) {
            return Optional.empty();
        }
        return Optional.of(file + ": this int8 export stores full-range int8 weights (int8_encoding s8"
                + (metadata.containsKey("billion.int8_encoding") ? "" : ", builder version "
                        + metadata.getOrDefault("billion.builder_version", "< 3"))
                + "), which ONNX Runtime's int8 kernel saturates on this CPU (" + cpu.summary()
                + ": no VNNI), so its logits are wrong; export it again with 'billion export --precision int8' "
                + "(uint8 weights, exact on every CPU)");
    }

    /** Logs {@link #warning} once per file. */
    static void warnOnce(Path file, Map<String, String> metadata) {
        warning(file, metadata, CpuFeatures.current()).ifPresent(message -> {
            if (WARNED.add(file.toAbsolutePath().normalize())) {
                LOG.log(System.Logger.Level.WARNING, message);
            }
        });
    }
}
