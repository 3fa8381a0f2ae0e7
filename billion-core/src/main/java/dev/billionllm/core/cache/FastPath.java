package dev.billionllm.core.cache;

import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.Int8Encoding;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.platform.CpuFeatures;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a model folder is run: which backend, and for safetensors weights whether (and at which
 * precision) an ONNX export from the {@link ExportCache} runs instead of PyTorch fp32.
 *
 * <pre>{@code
 * FastPath path = FastPath.choose(folder, null, null);      // safetensors: int8 export by default
 * Path toLoad = path.prepare(folder, ExportCache.atDefaultLocation(), err);
 * }</pre>
 * Model.load does this when asked ({@code LoadOptions.builder().optPrecision(Precision.AUTO)}),
 * which is how the command line and library users get it; call it directly only to ask what
 * would be chosen.
 *
 * <p>Default precision: <b>int8</b> on every CPU class. It is the one choice that keeps quality
 * (small-llama-target, docs/export.md: mean KL 0.0035 from fp32, argmax agrees 98.1%; int4
 * block 32 is KL 0.029 / 92.6%, 8x further off) while running far faster than fp32 everywhere:
 * 1.1B shape, 2 threads, int8 prefill 722 tok/s against 123 (fp32 ONNX) and 101 (PyTorch) on an
 * AVX-512 VNNI EPYC/Xeon, 33 against 10.6 (PyTorch) on an AVX2-only EPYC; decode 17 against
 * 5.4 tok/s. int4 decodes 1.3x (VNNI, block 32) faster than int8, at 8x the divergence, so it
 * stays a choice the user makes ({@code --precision int4}).
 *
 * @param backend backend name to load with ("pytorch" or "onnxruntime"), or null for the
 *     folder's own default
 * @param export the export to build and load, or null to load the folder as it is
 * @param reason one line saying what was chosen and why, or null when nothing was chosen for the
 *     user (an ONNX folder, or a backend and precision the user named)
 */
public record FastPath(String backend, ExportOptions export, String reason) {

    /** The precision {@link #choose} uses when the user names none. */
    public static final Precision DEFAULT_PRECISION = Precision.INT8;

    static final String DEFAULT_REASON = "int8 keeps quality (mean KL 0.0035 from fp32, argmax agrees 98.1%; "
            + "int4: 0.029 / 92.6%) and prefills 3-6x, decodes 3x faster than fp32 on AVX2 and AVX-512 CPUs "
            + "(docs/export.md, docs/COMPARISON.md)";

    /**
     * Picks how to run {@code folder}.
     *
     * @param backend the backend the user named, or null
     * @param precision the precision the user named, or null or {@link Precision#AUTO} for
     *     {@link #DEFAULT_PRECISION}
     * @throws IllegalArgumentException for a combination that cannot run (PyTorch at int8, a
     *     precision for a folder without safetensors weights)
     */
    public static FastPath choose(Path folder, String backend, Precision precision) {
        // Not PyTorch's canLoad: exporting needs no engine, so an ONNX-only class path can use it.
        boolean safetensors = Safetensors.present(folder);
        if (precision == Precision.AUTO) {
            precision = null;
        }
        String named = backend == null ? null : backend.trim().toLowerCase(Locale.ROOT);
        if (!safetensors) {
            if (precision != null) {
                throw new IllegalArgumentException("precision (--precision) applies to safetensors models; " + folder
                        + " has no safetensors weights (an ONNX folder runs at the precision it was exported at)");
            }
            return new FastPath(backend, null, null);
        }
        if ("pytorch".equals(named)) {
            if (precision != null && precision != Precision.FP32) {
                throw new IllegalArgumentException("the PyTorch backend runs fp32 only; drop --backend pytorch to "
                        + "run " + precision.name().toLowerCase(Locale.ROOT) + " through an ONNX export");
            }
            return new FastPath(backend, null, null);
        }
        if (named != null && !named.equals("onnxruntime")) {
            return new FastPath(backend, null, null); // another backend: its own rules
        }
        if (named == null && precision == Precision.FP32) {
            // fp32 without a backend means the exact reference path, as before the fast path.
            return new FastPath("pytorch", null, null);
        }
        if (named != null && precision == null && Backends.get("onnxruntime").canLoad(folder)) {
            return new FastPath(backend, null, null); // the folder ships its own ONNX files
        }
        Precision chosen = precision == null ? DEFAULT_PRECISION : precision;
        String reason = precision == null
                ? "int8 ONNX export (default: " + DEFAULT_REASON + "); --precision fp32|int4 or --backend pytorch "
                        + "to change (LoadOptions.optPrecision, optBackend)"
                : chosen.name().toLowerCase(Locale.ROOT) + " ONNX export (precision named by the caller)";
        // Built on the machine that runs it: the int8 encoding that is exact and fastest on this CPU.
        ExportOptions export = ExportOptions.builder().setPrecision(chosen)
                .optInt8Encoding(Int8Encoding.fastestExact(CpuFeatures.current())).build();
        return new FastPath("onnxruntime", export, reason);
    }

    /** Whether an export is built and loaded instead of the folder itself. */
    public boolean exports() {
        return export != null;
    }

    /**
     * The folder to load: {@code folder} itself, or its export from {@code cache} (built now,
     * with a progress bar on {@code progress}, if the cache lacks it).
     */
    public Path prepare(Path folder, ExportCache cache, PrintWriter progress) {
        return prepare(folder, null, cache, progress);
    }

    /**
     * {@link #prepare(Path, ExportCache, PrintWriter)} with the model's config as the caller read
     * it (a spec may declare the folder's {@code model_type}); null parses config.json.
     */
    public Path prepare(Path folder, ModelConfig config, ExportCache cache, PrintWriter progress) {
        if (export == null) {
            return folder;
        }
        ExportCache.Entry entry = cache.obtain(folder, config, export, progress);
        if (progress != null && entry.built()) {
            progress.println("[export cached at " + entry.folder() + "; `billion cache clear` removes it]");
            progress.flush();
        }
        return entry.folder();
    }
}
