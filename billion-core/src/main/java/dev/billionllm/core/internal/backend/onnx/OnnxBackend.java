package dev.billionllm.core.internal.backend.onnx;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.OrtSession;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.backend.Backend;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.lm.CausalLM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Backend "onnxruntime": runs decoders exported to ONNX (Optimum, transformers.js, onnx-community)
 * with ONNX Runtime's Java API. The file is picked by {@link LoadOptions#variant()} (see
 * {@link OnnxModelFiles}); {@link LoadOptions#threads()} sets intra-op threads. Backend options:
 * {@value #OPTIMIZATION} (none, basic, extended or all; default all) and {@value #SPINNING}
 * ("false" stops idle intra-op threads from spin-waiting; default true, ONNX Runtime's default).
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("models/tinyllama-onnx"), LoadOptions.builder()
 *         .optBackend("onnxruntime").optVariant("int8").optThreads(4)
 *         .optBackendOption("spinning", "false").build())) { ... }
 * }</pre>
 */
public final class OnnxBackend implements Backend {

    /** Backend option: graph optimisation level, none, basic, extended or all (default all). */
    public static final String OPTIMIZATION = "optimization";

    /**
     * Backend option: "true" lets ONNX Runtime's intra-op threads spin while they wait (ORT's own
     * default); "false", the default here, turns spinning off. Spinning wins a little on idle cores,
     * but on busy or shared cores it made int4 decode 1.7-2x slower (docs/export.md), and a library
     * cannot know that its cores are idle.
     */
    public static final String SPINNING = "spinning";
    /** {@value #SPINNING} when the load options do not set it. */
    public static final String DEFAULT_SPINNING = "false";

    /** Model metadata key our exporter sets on GroupQueryAttention graphs. */
    static final String FUSED_ATTENTION_KEY = "billion.fused_attention";

    /** Found through {@link java.util.ServiceLoader}; settings come with each load's options. */
    public OnnxBackend() {}

    /** "none", "basic", "extended" or "all" (the ORT names {@code NO_OPT}, ... are accepted too). */
    static OptLevel parseOptimization(String level) {
        switch (level.trim().toLowerCase(Locale.ROOT)) {
            case "none":
            case "no_opt":
                return OptLevel.NO_OPT;
            case "basic":
            case "basic_opt":
                return OptLevel.BASIC_OPT;
            case "extended":
            case "extended_opt":
                return OptLevel.EXTENDED_OPT;
            case "all":
            case "all_opt":
                return OptLevel.ALL_OPT;
            default:
                throw new IllegalArgumentException("backend option " + OPTIMIZATION
                        + " must be none, basic, extended or all, got \"" + level + "\"");
        }
    }

    private static boolean parseSpinning(String value) {
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("backend option " + SPINNING + " must be true or false, got \""
                    + value + "\"");
        }
        return Boolean.parseBoolean(value);
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(OPTIMIZATION, SPINNING);
    }

    @Override
    public void checkOptions(Map<String, String> options) {
        Backend.super.checkOptions(options);
        parseOptimization(options.getOrDefault(OPTIMIZATION, "all"));
        parseSpinning(options.getOrDefault(SPINNING, DEFAULT_SPINNING));
    }

    @Override
    public String name() {
        return "onnxruntime";
    }

    @Override
    public boolean available() {
        return Engine.hasEngine("OnnxRuntime");
    }

    @Override
    public boolean canLoad(Path folder) {
        return Files.isDirectory(folder) && OnnxModelFiles.containsModel(folder);
    }

    @Override
    public CausalLM load(Path folder, ModelConfig config, LoadOptions options) {
        checkOptions(options.backendOptions());
        Path file = OnnxModelFiles.resolve(folder, options.variant());
        // DJL's engine loads the ONNX Runtime native library its own way; starting it first keeps
        // both users of the library on one copy.
        Engine.getEngine("OnnxRuntime");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        OrtSession session = null;
        try {
            so.setOptimizationLevel(parseOptimization(options.backendOptions().getOrDefault(OPTIMIZATION, "all")));
            if (options.threads() > 0) {
                so.setIntraOpNumThreads(options.threads());
            }
            if (!parseSpinning(options.backendOptions().getOrDefault(SPINNING, DEFAULT_SPINNING))) {
                so.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            addDevice(so, options.device());
            // The path (not bytes) lets ORT find external data files (*.onnx_data) next to the model.
            session = env.createSession(file.toString(), so);
            OnnxLayout layout = OnnxLayout.read(file, config, session.getInputInfo(), session.getOutputInfo());
            LegacyInt8Check.warnOnce(file, session.getMetadata().getCustomMetadata());
            int usable = options.usableVocabSize() > 0 ? options.usableVocabSize() : config.vocabSize();
            if (usable > config.vocabSize()) {
                throw new IllegalArgumentException("usableVocabSize " + usable + " exceeds vocab_size "
                        + config.vocabSize());
            }
            return new OnnxCausalLM(file, config, usable, env, so, session, layout, fusedAttention(session));
        } catch (OrtException e) {
            close(session, so);
            throw new WeightLoadException(file + ": ONNX Runtime cannot load the model: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(session, so);
            throw e;
        }
    }

    /**
     * Whether the model is one of our exporter's {@code GroupQueryAttention} graphs (model metadata
     * {@value #FUSED_ATTENTION_KEY} = true, also in billion-export.json), whose batches have limits.
     */
    private static boolean fusedAttention(OrtSession session) throws OrtException {
        return "true".equals(session.getMetadata().getCustomMetadata().get(FUSED_ATTENTION_KEY));
    }

    /** CPU unless a GPU is asked for; the CUDA provider exists only in the onnxruntime_gpu build. */
    private static void addDevice(OrtSession.SessionOptions so, String device) {
        if (device == null || device.equalsIgnoreCase("cpu")) {
            return;
        }
        String d = device.toLowerCase(Locale.ROOT);
        if (!d.startsWith("gpu") && !d.startsWith("cuda")) {
            throw new IllegalArgumentException("device must be cpu, gpu or gpu:N, got \"" + device + "\"");
        }
        int colon = d.indexOf(':');
        int index;
        try {
            index = colon < 0 ? 0 : Integer.parseInt(d.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device must be cpu, gpu or gpu:N, got \"" + device + "\"");
        }
        try {
            so.addCUDA(index);
        } catch (OrtException | RuntimeException e) {
            throw new UnsupportedModelException("device " + device + ": this ONNX Runtime build has no CUDA "
                    + "execution provider (com.microsoft.onnxruntime:onnxruntime is CPU-only; put "
                    + "onnxruntime_gpu on the class path instead): " + e.getMessage(), e);
        }
    }

    private static void close(OrtSession session, OrtSession.SessionOptions so) {
        try {
            if (session != null) {
                session.close();
            }
        } catch (OrtException e) {
            // Already failing; the original error is the one to report.
        } finally {
            so.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxBackend";
    }
}
