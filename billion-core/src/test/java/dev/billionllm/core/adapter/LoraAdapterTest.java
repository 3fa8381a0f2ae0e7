package dev.billionllm.core.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.Model;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.io.safetensors.DType;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.SafetensorsFile;
import dev.billionllm.core.io.safetensors.SafetensorsSource;
import dev.billionllm.core.io.safetensors.SafetensorsWriter;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.testing.Greedy;
import dev.billionllm.core.testing.LogitDiff;
import dev.billionllm.core.testing.PeftLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PEFT fixture (tiny-tinyllama-lora-peft, r=4, alpha=8, q_proj+v_proj) against the logits
 * transformers + peft computed with it, unmerged, merged, written out merged and exported to ONNX.
 */
class LoraAdapterTest {
    private static final Path BASE = Fixtures.dir("tiny-tinyllama");
    private static final Path ADAPTER = Fixtures.dir("tiny-tinyllama-lora-peft");
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    /** Worst prefill error of {@code lm} over the fixture's prompts against {@code golden.safetensors}. */
    static double worstPrefillError(CausalLM lm, Path goldenDir) {
        double worst = 0;
        try (SafetensorsFile golden = SafetensorsFile.open(goldenDir.resolve("golden.safetensors"))) {
            for (int p = 0; golden.contains("prompt" + p + ".logits"); p++) {
                int[] ids = golden.ints("prompt" + p + ".input_ids");
                float[] expected = golden.floats("prompt" + p + ".logits");
                try (KvCache cache = lm.newCache(1, ids.length)) {
                    Logits logits = lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL);
                    worst = Math.max(worst, LogitDiff.maxAbs(logits.values(), expected));
                }
            }
        }
        return worst;
    }

    @Test
    void unmergedMatchesPeftGoldenAndIsRemovable() {
        try (Model m = Model.load(BASE, LoadOptions.builder().optAdapter(ADAPTER).build())) {
            double withAdapter = worstPrefillError(m.lm(), ADAPTER);
            AdaptedBackend.Adapted lm = (AdaptedBackend.Adapted) m.lm();
            lm.clearAdapters();
            double removed = worstPrefillError(m.lm(), BASE);
            lm.setAdapters(List.of(LoraAdapter.load(ADAPTER)));
            double swappedBack = worstPrefillError(m.lm(), ADAPTER);
            System.out.printf("[lora] unmerged %.3g, removed vs base golden %.3g, set again %.3g%n", withAdapter,
                    removed, swappedBack);
            assertThat(withAdapter).isLessThanOrEqualTo(TOLERANCE);
            assertThat(removed).isLessThanOrEqualTo(TOLERANCE);
            assertThat(swappedBack).isLessThanOrEqualTo(TOLERANCE);
            // The adapter really changes the model: the golden with it is far from the base logits.
            lm.clearAdapters();
            assertThat(lm.activeModules()).isEmpty();
            assertThat(worstPrefillError(m.lm(), ADAPTER)).isGreaterThan(100 * TOLERANCE);
        }
    }

    @Test
    void mergedMatchesPeftGoldenAndGreedyEqualsUnmerged() {
        try (Model merged = Model.load(BASE, LoadOptions.builder().optAdapter(ADAPTER).optMergeAdapters(true).build());
                Model unmerged = Model.load(BASE, LoadOptions.builder().optAdapter(ADAPTER).build())) {
            double error = worstPrefillError(merged.lm(), ADAPTER);
            System.out.printf("[lora] merged %.3g%n", error);
            assertThat(error).isLessThanOrEqualTo(TOLERANCE);
            int[][] prompt = {merged.tokenizer().encode("the cat sat on", true)};
            int[][] mask = {new int[prompt[0].length]};
            java.util.Arrays.fill(mask[0], 1);
            assertThat(Greedy.decode(unmerged.lm(), prompt, mask, 24)).isEqualTo(Greedy.decode(merged.lm(), prompt, mask, 24));
        }
    }

    @Test
    void mergedFolderLoadsAsPlainModel() throws IOException {
        Path out = tmp.resolve("merged");
        Set<String> changed = MergedModelWriter.write(BASE, List.of(ADAPTER), out);
        assertThat(changed).hasSize(4).allMatch(n -> n.endsWith("q_proj.weight") || n.endsWith("v_proj.weight"));
        assertThat(out.resolve("tokenizer.json")).exists();
        assertThat(out.resolve("config.json")).hasSameTextualContentAs(BASE.resolve("config.json"));
        try (Model m = Model.load(out)) {
            assertThat(worstPrefillError(m.lm(), ADAPTER)).isLessThanOrEqualTo(TOLERANCE);
        }
        // Untouched tensors are copied byte for byte.
        try (SafetensorsFile a = SafetensorsFile.open(BASE.resolve("model.safetensors"));
                SafetensorsFile b = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertThat(b.names()).isEqualTo(a.names());
            assertThat(b.floats("model.layers.0.self_attn.k_proj.weight"))
                    .isEqualTo(a.floats("model.layers.0.self_attn.k_proj.weight"));
        }
    }

    @Test
    void mergedOnnxExportMatchesPeftGolden() {
        Path dst = tmp.resolve("onnx");
        ModelConfig config = ModelConfigParser.parse(BASE);
        try (MergedTensorSource merged = MergedTensorSource.of(Safetensors.open(BASE), config,
                List.of(LoraAdapter.load(ADAPTER)))) {
            OnnxExporter.export(config, merged, "tiny-tinyllama+lora", dst, ExportOptions.builder().setPrecision(Precision.FP32).build());
        }
        OnnxExporter.copyCompanions(BASE, dst);
        try (CausalLM lm = Backends.get("onnxruntime").load(dst, ModelConfigParser.parse(dst), LoadOptions.defaults())) {
            double error = worstPrefillError(lm, ADAPTER);
            System.out.printf("[lora] merged ONNX export %.3g%n", error);
            assertThat(error).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    /** Random non-zero adapter on every linear module of {@code config}, as PEFT would name them. */
    static LoraAdapter randomAdapter(ModelConfig config, LoraConfig lora, long seed) {
        Random random = new Random(seed);
        Map<String, LoraAdapter.Weights> modules = new LinkedHashMap<>();
        for (LoraTargets.Module m : LoraTargets.of(config).selected(lora).values()) {
            int r = lora.rank(m.name());
            float[] a = new float[(int) (r * m.inFeatures())];
            float[] b = new float[(int) (m.outFeatures() * r)];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextGaussian() * 0.2f;
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) random.nextGaussian() * 0.2f;
            }
            modules.put(m.name(), new LoraAdapter.Weights(r, m.inFeatures(), m.outFeatures(), a, b));
        }
        return new LoraAdapter(lora, modules);
    }

    /**
     * Every module of every family, unmerged (row ranges of fused projections, NeoX per-head
     * regrouping of the delta) against merged (the delta added to the checkpoint's own tensor).
     */
    @Test
    void unmergedEqualsMergedOnEveryModuleOfEveryFamily() {
        for (String fixture : List.of("tiny-tinyllama", "tiny-stablelm2", "tiny-pythia")) {
            Path base = Fixtures.dir(fixture);
            ModelConfig config = ModelConfigParser.parse(base);
            LoraConfig lora = LoraConfig.builder().setRank(3).optAlpha(6).optTargetModules(List.of(LoraConfig.ALL_LINEAR))
                    .optRankPattern(Map.of("down_proj", 2, "dense_4h_to_h", 2)).optBaseModel(fixture).build();
            Path dir = tmp.resolve(fixture + "-adapter");
            randomAdapter(config, lora, 7).save(dir);
            try (Model merged = Model.load(base, LoadOptions.builder().optAdapter(dir).optMergeAdapters(true).build());
                    Model unmerged = Model.load(base, LoadOptions.builder().optAdapter(dir).build());
                    Model plain = Model.load(base)) {
                int[] ids = plain.tokenizer().encode("one two three four", true);
                float[] a = prefill(merged.lm(), ids);
                float[] b = prefill(unmerged.lm(), ids);
                float[] c = prefill(plain.lm(), ids);
                System.out.printf("[lora] %s all-linear: unmerged vs merged %.3g, adapter effect %.3g%n", fixture,
                        LogitDiff.maxAbs(b, a), LogitDiff.maxAbs(c, a));
                assertThat(LogitDiff.maxAbs(b, a)).isLessThanOrEqualTo(TOLERANCE);
                assertThat(LogitDiff.maxAbs(c, a)).isGreaterThan(1e-2);
            }
        }
    }

    static float[] prefill(CausalLM lm, int[] ids) {
        try (KvCache cache = lm.newCache(1, ids.length)) {
            return lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL).values();
        }
    }

    @Test
    void savedAdapterHasTheFixturesPeftLayout() throws IOException {
        LoraAdapter fixture = LoraAdapter.load(ADAPTER);
        Path out = tmp.resolve("copy");
        fixture.save(out);
        try (Stream files = new Stream(out)) {
            assertThat(files.names()).containsExactlyInAnyOrder(LoraConfig.FILE, LoraAdapter.WEIGHTS_FILE);
        }
        assertThat(PeftLayout.tensors(out)).isEqualTo(PeftLayout.tensors(ADAPTER));
        JsonObject ours = JsonParser.parseString(Files.readString(out.resolve(LoraConfig.FILE))).getAsJsonObject();
        JsonObject theirs = JsonParser.parseString(Files.readString(ADAPTER.resolve(LoraConfig.FILE))).getAsJsonObject();
        assertThat(theirs.keySet()).containsAll(ours.keySet());
        for (String key : List.of("peft_type", "task_type", "r", "lora_alpha", "lora_dropout", "target_modules", "bias",
                "use_rslora", "use_dora", "fan_in_fan_out", "base_model_name_or_path", "modules_to_save")) {
            assertThat(ours.get(key)).as(key).isEqualTo(theirs.get(key));
        }
        LoraAdapter back = LoraAdapter.load(out);
        for (String name : fixture.modules().keySet()) {
            assertThat(back.modules().get(name).a()).isEqualTo(fixture.modules().get(name).a());
            assertThat(back.modules().get(name).b()).isEqualTo(fixture.modules().get(name).b());
        }
        // Saving again over an existing adapter replaces it whole and leaves no temporary folder.
        back.save(out);
        assertThat(tmp.resolve("copy.partial")).doesNotExist();
        assertThat(tmp.resolve("copy.old")).doesNotExist();
    }

    private record Stream(Path dir) implements AutoCloseable {
        List<String> names() throws IOException {
            try (var s = Files.list(dir)) {
                return s.map(p -> p.getFileName().toString()).toList();
            }
        }

        @Override
        public void close() {}
    }

    private static LoraConfig parse(String json) {
        return LoraConfig.parse(JsonParser.parseString(json).getAsJsonObject(), "adapter_config.json");
    }

    @Test
    void configRulesFollowPeft() {
        LoraConfig c = parse("{\"peft_type\":\"LORA\",\"task_type\":\"CAUSAL_LM\",\"r\":8,\"lora_alpha\":16,"
                + "\"target_modules\":[\"q_proj\",\"v_proj\"],\"rank_pattern\":{\"v_proj\":4},"
                + "\"alpha_pattern\":{\"layers.1.self_attn.q_proj\":32},\"layers_to_transform\":[1],"
                + "\"some_future_key\":{\"x\":1}}");
        assertThat(c.targets("model.layers.1.self_attn.q_proj", 1)).isTrue();
        assertThat(c.targets("model.layers.0.self_attn.q_proj", 0)).isFalse(); // layers_to_transform
        assertThat(c.targets("model.layers.1.self_attn.k_proj", 1)).isFalse();
        assertThat(c.rank("model.layers.1.self_attn.v_proj")).isEqualTo(4);
        assertThat(c.scaling("model.layers.1.self_attn.v_proj")).isEqualTo(16.0 / 4);
        assertThat(c.scaling("model.layers.1.self_attn.q_proj")).isEqualTo(32.0 / 8);
        assertThat(c.scaling("model.layers.2.self_attn.q_proj")).isEqualTo(16.0 / 8);

        LoraConfig regex = parse("{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":8,\"use_rslora\":true,"
                + "\"target_modules\":\".*\\\\.(q_proj|o_proj)\"}");
        assertThat(regex.targets("model.layers.0.self_attn.o_proj", 0)).isTrue();
        assertThat(regex.targets("model.layers.0.self_attn.v_proj", 0)).isFalse();
        assertThat(regex.scaling("x.q_proj")).isEqualTo(8 / Math.sqrt(4));
        assertThat(parse(regex.toJson()).targetRegex()).isEqualTo(regex.targetRegex());
        assertThat(parse(c.toJson())).isEqualTo(c);
    }

    @Test
    void unsupportedFeaturesAreRefusedByName() {
        String base = "\"peft_type\":\"LORA\",\"task_type\":\"CAUSAL_LM\",\"r\":4,\"target_modules\":[\"q_proj\"]";
        assertThatThrownBy(() -> parse("{" + base + ",\"use_dora\":true}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("use_dora").hasMessageContaining("DoRA");
        assertThatThrownBy(() -> parse("{" + base + ",\"bias\":\"lora_only\"}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("bias");
        assertThatThrownBy(() -> parse("{" + base + ",\"modules_to_save\":[\"lm_head\"]}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("modules_to_save");
        assertThatThrownBy(() -> parse("{\"peft_type\":\"IA3\",\"r\":4}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("IA3");
        assertThatThrownBy(() -> LoraConfig.builder().setRank(4).optBaseModel("/home/me/models/x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("local path");
    }

    @Test
    void adapterForAnotherShapeIsRefused() throws IOException {
        ModelConfig pythia = ModelConfigParser.parse(Fixtures.dir("tiny-pythia"));
        LoraAdapter fixture = LoraAdapter.load(ADAPTER);
        assertThatThrownBy(() -> fixture.checkAgainst(LoraTargets.of(pythia))).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining("model.layers.0.self_attn.q_proj").hasMessageContaining("query_key_value");
        Path dora = tmp.resolve("dora");
        Files.createDirectories(dora);
        Files.writeString(dora.resolve(LoraConfig.FILE), Files.readString(ADAPTER.resolve(LoraConfig.FILE))
                .replace("\"use_dora\": false", "\"use_dora\": true"), StandardCharsets.UTF_8);
        Files.copy(ADAPTER.resolve(LoraAdapter.WEIGHTS_FILE), dora.resolve(LoraAdapter.WEIGHTS_FILE));
        assertThatThrownBy(() -> LoraAdapter.load(dora)).isInstanceOf(ConfigException.class).hasMessageContaining("DoRA");
    }

    /**
     * A declared architecture that ignores a tensor of the checkpoint is refused with adapters too,
     * merged or not, as without them (PtBackend.openWeights checks every PyTorch load).
     */
    @Test
    void adaptersOnADeclaredModelThatIgnoresATensorAreRefused() throws IOException {
        Path folder = tmp.resolve("declared");
        Files.createDirectories(folder);
        JsonObject config = JsonParser.parseString(Files.readString(BASE.resolve("config.json"))).getAsJsonObject();
        config.addProperty("model_type", "llama_like");
        JsonObject declaration = new JsonObject();
        declaration.addProperty("like", "llama");
        config.add("billion_architecture", declaration);
        Files.writeString(folder.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        String extra = "model.layers.0.self_attn.q_norm.weight";
        try (SafetensorsSource base = Safetensors.open(BASE)) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String name : base.names()) {
                w.copyFrom(base, name);
            }
            w.addFloats(extra, DType.F32, new long[] {4}, new float[4]).write(folder.resolve(Safetensors.SINGLE_FILE));
        }
        ModelConfig declared = ModelConfigParser.parse(folder);
        for (AdaptedBackend backend : List.of(AdaptedBackend.merged(List.of(ADAPTER)),
                AdaptedBackend.unmerged(List.of(ADAPTER)))) {
            assertThatThrownBy(() -> backend.load(folder, declared, LoadOptions.defaults()))
                    .isInstanceOf(UnsupportedModelException.class).hasMessageContaining(extra);
        }
    }

    @Test
    void targetsNameHuggingFaceModules() {
        ModelConfig llama = ModelConfigParser.parse(BASE);
        List<String> names = new ArrayList<>(LoraTargets.of(llama).shortNames());
        assertThat(names).containsExactly("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
        ModelConfig pythia = ModelConfigParser.parse(Fixtures.dir("tiny-pythia"));
        assertThat(new TreeSet<>(LoraTargets.of(pythia).shortNames()))
                .containsExactly("dense", "dense_4h_to_h", "dense_h_to_4h", "query_key_value");
        assertThat(LoraTargets.of(pythia).modules().get(0).name()).isEqualTo("gpt_neox.layers.0.attention.query_key_value");
    }
}
