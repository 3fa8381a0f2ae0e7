package dev.billionllm.core.internal.backend.onnx;

import dev.billionllm.core.WeightLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Finds the ONNX decoder file of a model folder for a variant, following the names Optimum and
 * transformers.js exports use:
 *
 * <pre>
 * folder/model.onnx                     fp32 (also folder/onnx/model.onnx)
 * folder/decoder_model_merged.onnx      fp32, Optimum's merged decoder (with use_cache_branch)
 * folder/model_quantized.onnx           variant "quantized" (likewise _int8, _uint8, _q4, _q4f16, _fp16, _bnb4)
 * folder/model.onnx_data                external weights, found by ONNX Runtime next to the file
 * </pre>
 *
 * <p>A variant ending in {@code .onnx} is taken as a file name, relative to the folder (or its
 * {@code onnx/} sub-folder).
 */
final class OnnxModelFiles {

    /** Base names of a decoder with KV cache, in order of preference. */
    private static final List<String> BASES = List.of("model", "decoder_model_merged");
    /** Sub-folders searched, in order: the folder itself, then transformers.js's {@code onnx/}. */
    private static final List<String> DIRS = List.of("", "onnx");

    private OnnxModelFiles() {}

    /** Whether {@code folder} holds any decoder file this backend recognises. */
    public static boolean containsModel(Path folder) {
        return !available(folder).isEmpty();
    }

    /**
     * The file for {@code variant}.
     *
     * @param folder model folder
     * @param variant "fp32" (default when null or blank), "quantized", "int8", "q4", "q4f16",
     *     "fp16", ..., or a file name ending in {@code .onnx}
     * @throws WeightLoadException naming the files that were tried and those that exist
     */
    public static Path resolve(Path folder, String variant) {
        List<Path> tried = new ArrayList<>();
        for (String name : candidateNames(variant)) {
            for (String dir : DIRS) {
                Path p = dir.isEmpty() ? folder.resolve(name) : folder.resolve(dir).resolve(name);
                if (Files.isRegularFile(p)) {
                    return p;
                }
                tried.add(folder.relativize(p));
            }
        }
        List<Path> found = available(folder);
        throw new WeightLoadException(folder + ": no ONNX decoder file for variant \""
                + (variant == null ? "fp32" : variant) + "\"; looked for " + tried + "; ONNX files present: "
                + (found.isEmpty() ? "none" : found.stream().map(folder::relativize).toList())
                + ". Pass one of them as the variant (a file name), or the suffix after \"model_\" "
                + "(e.g. \"quantized\" for model_quantized.onnx)");
    }

    /** File names that {@code variant} may mean, most likely first. */
    static List<String> candidateNames(String variant) {
        String v = variant == null || variant.isBlank() ? "fp32" : variant.trim();
        if (v.toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            return List.of(v);
        }
        String suffix = v.equalsIgnoreCase("fp32") ? "" : "_" + v.toLowerCase(Locale.ROOT);
        List<String> names = new ArrayList<>();
        for (String base : BASES) {
            names.add(base + suffix + ".onnx");
        }
        return names;
    }

    /** Every {@code .onnx} file in the folder and its {@code onnx/} sub-folder. */
    static List<Path> available(Path folder) {
        List<Path> out = new ArrayList<>();
        for (String dir : DIRS) {
            Path d = dir.isEmpty() ? folder : folder.resolve(dir);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> files = Files.list(d)) {
                files.filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))
                        .sorted()
                        .forEach(out::add);
            } catch (IOException e) {
                throw new WeightLoadException(d + ": cannot list folder: " + e.getMessage(), e);
            }
        }
        return out;
    }
}
