package dev.billionllm.core.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.arch.Parameter.Part;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.testing.Fixtures;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The description itself: fused layouts, the parts an adapter sees, and declarations. */
class ArchitectureTest {

    @Test
    void gptNeoXQueryKeyValueIsRegroupedPerHead() {
        // 2 heads of head_dim 1: checkpoint rows [q0, k0, v0, q1, k1, v1] become [q0, q1, k0, k1, v0, v1].
        Part part = new Part(TensorNames.Module.QUERY_KEY_VALUE, "qkv", "qkv.weight", new long[] {6, 4});
        Parameter p = new Parameter("layers.0.qkv", new long[] {6, 4}, List.of(part),
                Parameter.Assembly.PER_HEAD_INTERLEAVED, 2, false);
        assertThat(p.sourceRows()).containsExactly(0, 3, 1, 4, 2, 5);
    }

    @Test
    void fusedProjectionsNameTheirCheckpointModulesInRowOrder() {
        ModelConfig llama = ModelConfigParser.parse(Fixtures.dir("tiny-tinyllama"));
        ParameterLayout.Layer layer = new ParameterLayout(llama).layer(1);
        assertThat(layer.projections().stream().flatMap(p -> p.weight().parts().stream())
                .map(part -> part.prefix() + " " + part.rows()).collect(Collectors.toList())).containsExactly(
                        "model.layers.1.self_attn.q_proj 64", "model.layers.1.self_attn.k_proj 32",
                        "model.layers.1.self_attn.v_proj 32", "model.layers.1.self_attn.o_proj 64",
                        "model.layers.1.mlp.gate_proj 176", "model.layers.1.mlp.up_proj 176",
                        "model.layers.1.mlp.down_proj 64");
        ModelConfig pythia = ModelConfigParser.parse(Fixtures.dir("tiny-pythia"));
        ParameterLayout.Layer neox = new ParameterLayout(pythia).layer(0);
        assertThat(neox.qkv().weight().assembly()).isEqualTo(Parameter.Assembly.PER_HEAD_INTERLEAVED);
        assertThat(neox.qkv().weight().parts().get(0).prefix()).isEqualTo("gpt_neox.layers.0.attention.query_key_value");
        assertThat(neox.mlpNorm().weight().parts().get(0).tensor())
                .isEqualTo("gpt_neox.layers.0.post_attention_layernorm.weight");
    }

    @Test
    void aDeclarationRoundTripsThroughItsJson() {
        JsonObject json = JsonParser.parseString("{\"model_type\": \"my_model\", \"like\": \"stablelm\","
                + " \"qkv_bias\": true, \"norm\": \"rms_norm\", \"parallel_residual\": true,"
                + " \"parallel_norm\": \"separate\", \"partial_rotary_factor\": 0.5, \"activation\": \"gelu_new\","
                + " \"tensor_names\": {\"o_proj\": \"model.layers.{layer}.attn.out\", \"q_norm\": null}}")
                .getAsJsonObject();
        Architecture a = ArchitectureDeclaration.parse(json, "test", null);
        assertThat(a.family()).isEqualTo(Family.STABLELM);
        assertThat(a.tensorNames().has(TensorNames.Module.Q_NORM)).isFalse();
        assertThat(a.tensorNames().prefix(TensorNames.Module.O_PROJ, 2, 0)).isEqualTo("model.layers.2.attn.out");
        assertThat(ArchitectureDeclaration.parse(ArchitectureDeclaration.toJson(a), "again", "my_model"))
                .isEqualTo(a);
    }

    @Test
    void declarationsRefuseBuiltInTypesAndMissingNames() {
        assertThatThrownBy(() -> ArchitectureDeclaration.parse(
                JsonParser.parseString("{\"model_type\": \"llama\", \"like\": \"llama\"}").getAsJsonObject(), "t",
                null)).isInstanceOf(ConfigException.class).hasMessageContaining("is built in");
        // A plain llama has no query_key_value tensor to read a per-head layout from.
        assertThatThrownBy(() -> ArchitectureDeclaration.parse(JsonParser.parseString(
                "{\"model_type\": \"x\", \"like\": \"llama\", \"qkv_layout\": \"per_head_interleaved\"}")
                .getAsJsonObject(), "t", null)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tensor_names has no \"query_key_value\"");
    }

    @Test
    void llama3FrequenciesKeepHighAndSlowLowFrequencies() {
        ModelConfig c = ModelConfigParser.parse(Fixtures.dir("tiny-llama32"));
        float[] scaled = RopeSchedule.inverseFrequencies(c.rope(), c.rope().rotaryDim(c.headDim()));
        float[] plain = RopeSchedule.inverseFrequencies(dev.billionllm.core.config.RopeConfig.simple(c.rope().theta()),
                c.rope().rotaryDim(c.headDim()));
        assertThat(scaled[0]).isEqualTo(plain[0]);
        assertThat((double) scaled[scaled.length - 1]).isLessThan(plain[plain.length - 1]);
    }
}
