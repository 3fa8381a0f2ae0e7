package dev.billionllm.core.export;

import static dev.billionllm.core.export.StableLmSwitchesExportTest.prefill;
import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.arch.Architecture;
import dev.billionllm.core.arch.Architectures;
import dev.billionllm.core.arch.TensorNames.Module;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both backends are built from the one {@link Architecture} of a model: change one value of it (a
 * switch, the parallel-norm rule, a tensor name) and the PyTorch load and the ONNX export change
 * or fail together, in the same way.
 */
class SharedArchitectureTest {

    private static final int[] PROMPT = {17, 300, 5, 42, 411, 99, 128, 7, 256};

    @TempDir
    Path dir;

    /** The model's config re-read with its built-in architecture changed by {@code edit}. */
    private static ModelConfig edited(Path folder, Family family, UnaryOperator<Architecture.Builder> edit) {
        return ModelConfigParser.parse(folder, edit.apply(Architectures.builtIn(family).toBuilder()).build());
    }

    private float[] torch(Path folder, ModelConfig config) {
        try (CausalLM lm = Backends.get("pytorch").load(folder, config, LoadOptions.builder().optThreads(1).build())) {
            return prefill(lm, PROMPT);
        }
    }

    private float[] onnx(Path folder, ModelConfig config, String name) {
        Path dst = dir.resolve(name);
        OnnxExporter.export(config, folder, dst, ExportOptions.builder().setPrecision(Precision.FP32).build());
        try (CausalLM lm = Backends.get("onnxruntime").load(dst, config, LoadOptions.builder().optThreads(1).build())) {
            return prefill(lm, PROMPT);
        }
    }

    /** Dropping Qwen2's q/k/v-bias switch changes both backends' logits, and they still agree. */
    @Test
    void aSwitchChangesBothBackends() throws IOException {
        Path folder = dir.resolve("qwen2");
        TinyDecoder.qwen2(5).write(folder);
        ModelConfig original = ModelConfigParser.parse(folder);
        ModelConfig noBias = edited(folder, Family.QWEN2, b -> b.optQkvBias(Architecture.Flag.fixed(false)));
        assertThat(noBias.qkvBias()).isFalse();

        float[] torchOriginal = torch(folder, original);
        float[] torchNoBias = torch(folder, noBias);
        float[] onnxOriginal = onnx(folder, original, "original");
        float[] onnxNoBias = onnx(folder, noBias, "no-bias");
        assertThat(maxAbs(torchNoBias, torchOriginal)).as("pytorch changed").isGreaterThan(1e-2);
        assertThat(maxAbs(onnxNoBias, onnxOriginal)).as("onnx changed").isGreaterThan(1e-2);
        assertThat(maxAbs(onnxNoBias, torchNoBias)).as("and they agree").isLessThanOrEqualTo(1e-4);
    }

    /**
     * StableLM's parallel block shares the input norm with the MLP; a description that says it has
     * its own norm makes both backends ask for the same missing tensor.
     */
    @Test
    void theParallelNormRuleIsReadByBoth() throws IOException {
        Path folder = dir.resolve("stablelm-parallel");
        TinyDecoder.stableLm(false, true, 3).write(folder);
        ModelConfig ownNorm = edited(folder, Family.STABLELM, b -> b.optParallelNormShared(false));
        String missing = "missing tensor \"model.layers.0.post_attention_layernorm.weight\"";
        assertThatThrownBy(() -> torch(folder, ownNorm)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(missing);
        assertThatThrownBy(() -> onnx(folder, ownNorm, "own-norm")).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(missing);
    }

    /** A tensor name changed in the description is the name both backends look for (GPT-NeoX's fused q/k/v here). */
    @Test
    void tensorNamesAreReadByBoth() {
        Path pythia = Fixtures.dir("tiny-pythia");
        ModelConfig renamed = edited(pythia, Family.GPT_NEOX, b -> b.optTensorNames(Architectures
                .builtIn(Family.GPT_NEOX).tensorNames()
                .with(Module.QUERY_KEY_VALUE, "gpt_neox.layers.{layer}.attention.qkv")));
        String missing = "missing tensor \"gpt_neox.layers.0.attention.qkv.weight\"";
        assertThatThrownBy(() -> torch(pythia, renamed)).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(missing);
        assertThatThrownBy(() -> onnx(pythia, renamed, "renamed")).isInstanceOf(WeightLoadException.class)
                .hasMessageContaining(missing);
    }
}
