package dev.billionllm.core.arch;

import dev.billionllm.core.arch.Architecture.Flag;
import dev.billionllm.core.arch.Architecture.QkvLayout;
import dev.billionllm.core.arch.Architecture.Text;
import dev.billionllm.core.arch.Architecture.Value;
import dev.billionllm.core.arch.TensorNames.Module;
import dev.billionllm.core.config.Family;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.NormKind;
import java.util.EnumMap;
import java.util.Map;

/**
 * The built-in families as rows of data. Keys and defaults are those of each family's
 * configuration class in transformers ({@code LlamaConfig}, {@code StableLmConfig},
 * {@code GPTNeoXConfig}, {@code Qwen2Config}); tensor names are those of its
 * {@code *ForCausalLM} state dict.
 *
 * <pre>{@code
 * Architecture llama = Architectures.builtIn(Family.LLAMA);
 * Architecture found = Architectures.find("qwen2");   // null for a model_type no family has
 * }</pre>
 */
public final class Architectures {

    private static final String LLAMA_LAYER = "model.layers.{layer}.";
    private static final String NEOX_LAYER = "gpt_neox.layers.{layer}.";

    private static final Map<Family, Architecture> BUILT_IN = new EnumMap<>(Family.class);

    static {
        TensorNames llamaNames = names(
                Module.EMBED_TOKENS, "model.embed_tokens",
                Module.LM_HEAD, "lm_head",
                Module.NORM, "model.norm",
                Module.INPUT_LAYERNORM, LLAMA_LAYER + "input_layernorm",
                Module.POST_ATTENTION_LAYERNORM, LLAMA_LAYER + "post_attention_layernorm",
                Module.Q_PROJ, LLAMA_LAYER + "self_attn.q_proj",
                Module.K_PROJ, LLAMA_LAYER + "self_attn.k_proj",
                Module.V_PROJ, LLAMA_LAYER + "self_attn.v_proj",
                Module.O_PROJ, LLAMA_LAYER + "self_attn.o_proj",
                Module.GATE_PROJ, LLAMA_LAYER + "mlp.gate_proj",
                Module.UP_PROJ, LLAMA_LAYER + "mlp.up_proj",
                Module.DOWN_PROJ, LLAMA_LAYER + "mlp.down_proj");
        Flag tie = Flag.key("tie_word_embeddings", false);
        Architecture llama = new Architecture("llama", Family.LLAMA, NormKind.RMS_NORM, MlpKind.GATED,
                QkvLayout.SEPARATE, false, Text.key("hidden_act", "silu"), Value.key("rms_norm_eps", 1e-6),
                Value.key("rope_theta", 10000), Value.fixed(1.0), "num_key_value_heads",
                Flag.key("attention_bias", false), Flag.key("attention_bias", false), Flag.key("mlp_bias", false),
                Flag.fixed(false), Flag.fixed(false), tie, llamaNames);
        BUILT_IN.put(Family.LLAMA, llama);

        // StableLmDecoderLayer builds no post_attention_layernorm for a parallel block: the MLP reads
        // the input norm's output (parallelNormShared).
        BUILT_IN.put(Family.STABLELM, new Architecture("stablelm", Family.STABLELM, NormKind.LAYER_NORM,
                MlpKind.GATED, QkvLayout.SEPARATE, true, Text.key("hidden_act", "silu"),
                Value.key("layer_norm_eps", 1e-5), Value.key("rope_theta", 10000),
                Value.key("partial_rotary_factor", 0.25), "num_key_value_heads", Flag.key("use_qkv_bias", false),
                Flag.fixed(false), Flag.fixed(false), Flag.key("qk_layernorm", false),
                Flag.key("use_parallel_residual", false), tie,
                llamaNames.with(Module.Q_NORM, LLAMA_LAYER + "self_attn.q_layernorm.norms.{head}")
                        .with(Module.K_NORM, LLAMA_LAYER + "self_attn.k_layernorm.norms.{head}")));

        // num_key_value_heads is not a GPT-NeoX key: every head has its own k and v.
        BUILT_IN.put(Family.GPT_NEOX, new Architecture("gpt_neox", Family.GPT_NEOX, NormKind.LAYER_NORM,
                MlpKind.PLAIN, QkvLayout.PER_HEAD_INTERLEAVED, false, Text.key("hidden_act", "gelu"),
                Value.key("layer_norm_eps", 1e-5), Value.key("rotary_emb_base", 10000), Value.key("rotary_pct", 0.25),
                null, Flag.key("attention_bias", true), Flag.key("attention_bias", true), Flag.fixed(true),
                Flag.fixed(false), Flag.key("use_parallel_residual", true), tie, names(
                        Module.EMBED_TOKENS, "gpt_neox.embed_in",
                        Module.LM_HEAD, "embed_out",
                        Module.NORM, "gpt_neox.final_layer_norm",
                        Module.INPUT_LAYERNORM, NEOX_LAYER + "input_layernorm",
                        Module.POST_ATTENTION_LAYERNORM, NEOX_LAYER + "post_attention_layernorm",
                        Module.QUERY_KEY_VALUE, NEOX_LAYER + "attention.query_key_value",
                        Module.O_PROJ, NEOX_LAYER + "attention.dense",
                        Module.UP_PROJ, NEOX_LAYER + "mlp.dense_h_to_4h",
                        Module.DOWN_PROJ, NEOX_LAYER + "mlp.dense_4h_to_h")));

        // Qwen2Attention: q/k/v with bias=True, o_proj without; the MLP has no biases.
        BUILT_IN.put(Family.QWEN2, llama.toBuilder().setModelType("qwen2").family(Family.QWEN2)
                .optQkvBias(Flag.fixed(true)).optOutputBias(Flag.fixed(false)).optMlpBias(Flag.fixed(false)).build());
    }

    private Architectures() {}

    /** The built-in architecture of {@code family}. */
    public static Architecture builtIn(Family family) {
        return BUILT_IN.get(family);
    }

    /** The built-in architecture whose {@code model_type} is {@code modelType}, or null. */
    public static Architecture find(String modelType) {
        Family f = Family.fromModelType(modelType);
        return f == null ? null : BUILT_IN.get(f);
    }

    private static TensorNames names(Object... moduleThenTemplate) {
        Map<Module, String> m = new EnumMap<>(Module.class);
        for (int i = 0; i < moduleThenTemplate.length; i += 2) {
            m.put((Module) moduleThenTemplate[i], (String) moduleThenTemplate[i + 1]);
        }
        return new TensorNames(m);
    }
}
