package dev.billionllm.core.io.safetensors;

import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Opens the weights of a Hugging Face model folder.
 *
 * <pre>{@code
 * try (SafetensorsSource weights = Safetensors.open(Path.of("models/tinyllama"))) {
 *     System.out.println(weights.names().size() + " tensors");
 * }
 * }</pre>
 */
public final class Safetensors {

    /** The single-file checkpoint name Hugging Face writes. */
    public static final String SINGLE_FILE = "model.safetensors";

    private Safetensors() {}

    /** Whether {@code folder} holds safetensors weights ({@value #SINGLE_FILE} or a shard index). */
    public static boolean present(Path folder) {
        return Files.isRegularFile(folder.resolve(SINGLE_FILE))
                || Files.isRegularFile(folder.resolve(ShardedSafetensors.INDEX_FILE));
    }

    /**
     * Opens {@code model.safetensors} in {@code folder}, or else the shards of
     * {@code model.safetensors.index.json} (transformers prefers the single file the same way).
     * A path to a {@code .safetensors} file or an index file is opened directly.
     *
     * @throws WeightLoadException if neither exists (the message lists what the folder holds) or
     *     the weights are malformed
     */
    public static SafetensorsSource open(Path folder) {
        if (Files.isRegularFile(folder)) {
            return folder.getFileName().toString().endsWith(".json")
                    ? ShardedSafetensors.open(folder)
                    : SafetensorsFile.open(folder);
        }
        if (!Files.isDirectory(folder)) {
            throw new WeightLoadException(folder + ": model folder not found");
        }
        Path single = folder.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.open(single);
        }
        Path index = folder.resolve(ShardedSafetensors.INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return ShardedSafetensors.open(index);
        }
        List<String> found;
        try (Stream<Path> files = Files.list(folder)) {
            found = files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new WeightLoadException(folder + ": cannot list the folder: " + e, e);
        }
        throw new WeightLoadException(folder + ": neither " + SINGLE_FILE + " nor "
                + ShardedSafetensors.INDEX_FILE + " found; the folder holds " + found
                + (found.stream().anyMatch(n -> n.endsWith(".bin") || n.endsWith(".pth"))
                        ? " (PyTorch pickle weights are not supported: convert them to safetensors)"
                        : ""));
    }
}
