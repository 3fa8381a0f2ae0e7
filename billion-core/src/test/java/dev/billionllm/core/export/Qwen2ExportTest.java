package dev.billionllm.core.export;

import static dev.billionllm.core.export.StableLmSwitchesExportTest.assertCachedStepsMatch;
import static dev.billionllm.core.export.StableLmSwitchesExportTest.ones;
import static dev.billionllm.core.export.StableLmSwitchesExportTest.prefill;
import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.cache.ExportCache;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.config.NormKind;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.spec.ModelSpec;
import dev.billionllm.core.spec.ModelSpecs;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.testing.Greedy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen2 as a built-in family, and the same checkpoint under a {@code model_type} billion-llm does
 * not know, declared as llama plus switches (no Java code). The tiny random Qwen2 (RMSNorm, GQA,
 * q/k/v biases, no o_proj bias, tied embeddings) is checked against {@link ReferenceDecoder}, a
 * plain double-precision forward pass written from modeling_qwen2.py, on PyTorch and exported to
 * ONNX (fp32).
 */
class Qwen2ExportTest {

    private static final double TOLERANCE = 1e-4;
    private static final int[] PROMPT = {17, 300, 5, 42, 411, 99, 128, 7, 256};
    private static final String DECLARED_TYPE = "tiny_qwen_like";

    @TempDir
    static Path dir;

    private static final List<AutoCloseable> OPEN = new ArrayList<>();
    private static TinyDecoder model;
    private static Path qwen2;
    private static float[] reference;

    @BeforeAll
    static void writeCheckpoint() throws IOException {
        model = TinyDecoder.qwen2(21);
        qwen2 = dir.resolve("qwen2");
        model.write(qwen2);
        copyTokenizer(qwen2);
        reference = new ReferenceDecoder(model).logits(PROMPT);
    }

    @AfterAll
    static void close() throws Exception {
        for (AutoCloseable c : OPEN) {
            c.close();
        }
        OPEN.clear();
    }

    /** A tokenizer from a fixture (byte-level BPE with ChatML tokens, as Qwen2's), so the folder is a whole model. */
    private static void copyTokenizer(Path folder) throws IOException {
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(Fixtures.dir("tiny-stablelm2").resolve(f), folder.resolve(f));
        }
    }

    private static CausalLM load(String backend, Path folder, ModelConfig config) {
        // One intra-op thread: tiny models gain nothing from more, and build machines share cores.
        CausalLM lm = Backends.get(backend).load(folder, config, LoadOptions.builder().optThreads(1).build());
        OPEN.add(lm);
        return lm;
    }

    @Test
    void qwen2ConfigReadsItsSwitches() {
        ModelConfig c = ModelConfigParser.parse(qwen2);
        assertThat(c.family()).isEqualTo(Family.QWEN2);
        assertThat(c.normKind()).isEqualTo(NormKind.RMS_NORM);
        assertThat(c.qkvBias()).isTrue();
        assertThat(c.outputBias()).isFalse();
        assertThat(c.mlpBias()).isFalse();
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.numKeyValueHeads()).isEqualTo(2);
        assertThat(c.rope().partialRotaryFactor()).isEqualTo(1.0);
    }

    @Test
    void qwen2RunsOnPyTorchAndExportedToOnnxLikeTheReference() throws IOException {
        ModelConfig config = ModelConfigParser.parse(qwen2);
        CausalLM torch = load("pytorch", qwen2, config);
        Path exported = dir.resolve("qwen2-onnx");
        OnnxExporter.export(qwen2, exported, ExportOptions.builder().setPrecision(Precision.FP32).build());
        CausalLM onnx = load("onnxruntime", exported, ModelConfigParser.parse(exported));

        float[] torchAll = prefill(torch, PROMPT);
        float[] onnxAll = prefill(onnx, PROMPT);
        double torchVsRef = maxAbs(torchAll, reference);
        double onnxVsRef = maxAbs(onnxAll, reference);
        double onnxVsTorch = maxAbs(onnxAll, torchAll);
        System.out.printf("[qwen2] prefill max abs logit error pytorch-ref %.3g, onnx-ref %.3g, onnx-pytorch %.3g%n",
                torchVsRef, onnxVsRef, onnxVsTorch);
        assertThat(torchVsRef).as("pytorch vs reference").isLessThanOrEqualTo(TOLERANCE);
        assertThat(onnxVsRef).as("onnx vs reference").isLessThanOrEqualTo(TOLERANCE);
        assertThat(onnxVsTorch).as("onnx vs pytorch").isLessThanOrEqualTo(TOLERANCE);

        assertCachedStepsMatch(List.of(torch, onnx), PROMPT, reference, model.vocab);
        int[][] prompt = {PROMPT};
        int[][] mask = {ones(PROMPT.length)};
        assertThat(Greedy.decode(onnx, prompt, mask, 12)[0]).containsExactly(Greedy.decode(torch, prompt, mask, 12)[0]);
    }

    /**
     * The same checkpoint with {@code model_type} renamed: unknown until a spec file declares it as
     * llama with q/k/v biases and tied embeddings; then both backends give the Qwen2 logits exactly.
     */
    @Test
    void anUnknownModelTypeDeclaredInASpecFileRunsOnBothBackends() throws IOException {
        Path renamed = dir.resolve("renamed");
        JsonObject config = model.config();
        config.addProperty("model_type", DECLARED_TYPE);
        model.write(renamed, config);
        copyTokenizer(renamed);
        assertThatThrownBy(() -> ModelConfigParser.parse(renamed)).isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("\"" + DECLARED_TYPE + "\" is not supported")
                .hasMessageContaining("declare it");

        Path specFile = dir.resolve("specs").resolve("tiny.json");
        Files.createDirectories(specFile.getParent());
        Files.writeString(specFile, "{\n"
                + "  \"id\": \"tiny-qwen-like\",\n"
                + "  \"local_dir\": \"../renamed\",\n"
                + "  \"architecture\": {\n"
                + "    \"model_type\": \"" + DECLARED_TYPE + "\",\n"
                + "    \"like\": \"llama\",\n"
                + "    \"qkv_bias\": true,\n"
                + "    \"output_bias\": false,\n"
                + "    \"tie_word_embeddings\": true\n"
                + "  }\n"
                + "}\n");
        ModelSpec spec = ModelSpecs.fromJson(specFile).get(0);
        assertThat(spec.family()).isEqualTo(Family.LLAMA);
        Path folder = spec.localDir().orElseThrow();
        ModelConfig declared = spec.config(folder);
        assertThat(declared.modelType()).isEqualTo(DECLARED_TYPE);

        // The one loading entry point parses through the spec's declaration too.
        try (dev.billionllm.core.Model m = dev.billionllm.core.Model.load(spec,
                LoadOptions.builder().optBackend("pytorch").optThreads(1).build())) {
            assertThat(m.config()).isEqualTo(declared);
        }

        float[] qwenTorch = prefill(load("pytorch", qwen2, ModelConfigParser.parse(qwen2)), PROMPT);
        float[] declaredTorch = prefill(load("pytorch", folder, declared), PROMPT);
        assertThat(maxAbs(declaredTorch, qwenTorch)).as("pytorch, declared vs qwen2").isZero();
        // Model.load of the spec reads config.json through the declaration too.
        try (dev.billionllm.core.Model m = dev.billionllm.core.Model.load(spec,
                dev.billionllm.core.backend.LoadOptions.builder().optThreads(1).build())) {
            assertThat(m.config().modelType()).isEqualTo(DECLARED_TYPE);
            assertThat(maxAbs(prefill(m.lm(), PROMPT), qwenTorch)).as("Model.load(spec) vs qwen2").isZero();
        }

        // Model.load's fast path exports through the declaration as well (not config.json alone).
        try (dev.billionllm.core.Model m = dev.billionllm.core.Model.load(spec, LoadOptions.builder()
                .optBackend("onnxruntime").optPrecision(Precision.FP32).optExportCacheDir(dir.resolve("cache"))
                .optThreads(1).build())) {
            assertThat(m.backend()).isEqualTo("onnxruntime");
            assertThat(m.folder()).startsWith(dir.resolve("cache"));
            assertThat(maxAbs(prefill(m.lm(), PROMPT), reference)).as("cached export of the declared model")
                    .isLessThanOrEqualTo(TOLERANCE);
            // Like OnnxExporter.export's, the cached export loads without the spec.
            assertThat(ModelConfigParser.parse(m.folder())).isEqualTo(declared);
        }

        // The export carries the declaration in its config.json, so it loads without the spec.
        Path exported = dir.resolve("renamed-onnx");
        OnnxExporter.export(declared, folder, exported, ExportOptions.builder().setPrecision(Precision.FP32).build());
        JsonObject exportedConfig = JsonParser.parseString(Files.readString(exported.resolve("config.json")))
                .getAsJsonObject();
        assertThat(exportedConfig.has("billion_architecture")).isTrue();
        ModelConfig reparsed = ModelConfigParser.parse(exported);
        assertThat(reparsed).isEqualTo(declared);
        Path qwenExport = dir.resolve("qwen2-onnx-2");
        OnnxExporter.export(qwen2, qwenExport, ExportOptions.builder().setPrecision(Precision.FP32).build());
        float[] qwenOnnx = prefill(load("onnxruntime", qwenExport, ModelConfigParser.parse(qwenExport)), PROMPT);
        float[] declaredOnnx = prefill(load("onnxruntime", exported, reparsed), PROMPT);
        assertThat(maxAbs(declaredOnnx, qwenOnnx)).as("onnx, declared vs qwen2").isZero();
        assertThat(maxAbs(declaredOnnx, reference)).as("onnx vs reference").isLessThanOrEqualTo(TOLERANCE);
    }

    /** The model's own config.json may carry the declaration instead of a spec file. */
    @Test
    void aConfigMayDeclareItsOwnModelType() throws IOException {
        Path self = dir.resolve("self-declared");
        JsonObject config = model.config();
        config.addProperty("model_type", DECLARED_TYPE);
        JsonObject declaration = new JsonObject();
        declaration.addProperty("like", "qwen2");
        config.add("billion_architecture", declaration);
        model.write(self, config);
        ModelConfig c = ModelConfigParser.parse(self);
        assertThat(c.family()).isEqualTo(Family.QWEN2);
        assertThat(c.modelType()).isEqualTo(DECLARED_TYPE);
        assertThat(maxAbs(prefill(load("pytorch", self, c), PROMPT), reference)).isLessThanOrEqualTo(TOLERANCE);
    }

    /**
     * A declaration that misses a feature of the checkpoint (here a Qwen3-style q norm the switches
     * do not describe) is refused by both backends, naming the tensors it would have ignored.
     */
    @Test
    void aDeclaredModelWithTensorsItsArchitectureIgnoresIsRefused() throws IOException {
        TinyDecoder withQNorm = model.copy();
        withQNorm.values.put("model.layers.0.self_attn.q_norm.weight", new float[model.headDim]);
        withQNorm.shapes.put("model.layers.0.self_attn.q_norm.weight", new long[] {model.headDim});
        Path folder = dir.resolve("extra-tensor");
        JsonObject config = model.config();
        config.addProperty("model_type", "qwen3_like");
        JsonObject declaration = new JsonObject();
        declaration.addProperty("like", "qwen2");
        config.add("billion_architecture", declaration);
        withQNorm.write(folder, config);
        ModelConfig c = ModelConfigParser.parse(folder);
        String named = "model.layers.0.self_attn.q_norm.weight";
        assertThatThrownBy(() -> load("pytorch", folder, c)).isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining(named).hasMessageContaining("does not use");
        assertThatThrownBy(() -> OnnxExporter.export(folder, dir.resolve("extra-onnx"), ExportOptions.builder().setPrecision(Precision.FP32).build()))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining(named);
        assertThatThrownBy(() -> ExportCache.at(dir.resolve("extra-cache")).obtain(folder,
                ExportOptions.builder().setPrecision(Precision.FP32).build(), null))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining(named);
    }

    /** What no switch expresses is refused, naming the feature. */
    @Test
    void featuresNoSwitchExpressesAreRefusedByName() throws IOException {
        JsonObject sliding = model.config();
        sliding.addProperty("use_sliding_window", true);
        assertThatThrownBy(() -> ModelConfigParser.parse(sliding, "qwen2 config.json"))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining("sliding-window attention");

        JsonObject moe = model.config();
        moe.addProperty("num_experts", 8);
        assertThatThrownBy(() -> ModelConfigParser.parse(moe, "qwen2 config.json"))
                .isInstanceOf(UnsupportedModelException.class).hasMessageContaining("mixture-of-experts");

        assertThatThrownBy(() -> ModelSpecs.fromJson("{\"id\": \"x\", \"local_dir\": \".\", \"architecture\": "
                + "{\"model_type\": \"mistral_like\", \"like\": \"llama\", \"sliding_window\": 4096}}", "spec.json",
                dir)).isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("\"sliding_window\" asks for sliding-window attention");
        assertThatThrownBy(() -> ModelSpecs.fromJson("{\"id\": \"x\", \"local_dir\": \".\", \"architecture\": "
                + "{\"model_type\": \"other\", \"like\": \"llama\", \"qkv_biass\": true}}", "spec.json", dir))
                .hasMessageContaining("unknown architecture switch \"qkv_biass\"");
    }
}
