package dev.billionllm.examples.cli;

import dev.billionllm.core.cache.ExportCache;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code billion cache}: the ONNX exports that generate, chat and compare build once per model
 * and precision ({@link ExportCache}): list them, say how much disk they take, remove them.
 */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"List, size or clear the cached ONNX exports of safetensors models.",
            "Location: $BILLION_CACHE_DIR, else ~/.cache/billion-llm/exports."})
final class CacheCommand {
    @ParentCommand
    BillionCli cli;

    @Command(name = "list", description = "One line per cached export: model, options, size, folder.")
    int list() {
        ExportCache cache = ExportCache.atDefaultLocation();
        List<ExportCache.Entry> entries = cache.list();
        if (entries.isEmpty()) {
            cli.out.println("no cached exports in " + cache.root());
            return 0;
        }
        for (ExportCache.Entry e : entries) {
            cli.out.printf(Locale.ROOT, "%-50s %-18s %9s  %s%n    %s%n", e.modelKey(), e.optionsKey(), human(e.bytes()),
                    e.folder(), e.source());
        }
        return 0;
    }

    @Command(name = "size", description = "Bytes the cache takes on disk.")
    int size() {
        ExportCache cache = ExportCache.atDefaultLocation();
        cli.out.printf(Locale.ROOT, "%s in %s%n", human(cache.sizeBytes()), cache.root());
        return 0;
    }

    @Command(name = "clear", description = "Remove cached exports (all, or those of one model).")
    int clear(@Option(names = "--model", paramLabel = "KEY",
            description = "Only exports whose model key (see list) starts with KEY.", defaultValue = "")
            String model) {
        ExportCache cache = ExportCache.atDefaultLocation();
        List<ExportCache.Entry> removed = cache.clear(model);
        long bytes = removed.stream().mapToLong(ExportCache.Entry::bytes).sum();
        cli.out.printf(Locale.ROOT, "removed %d export(s), %s, from %s%n", removed.size(), human(bytes), cache.root());
        return 0;
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
