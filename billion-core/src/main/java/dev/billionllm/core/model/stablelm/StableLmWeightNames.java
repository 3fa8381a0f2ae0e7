package dev.billionllm.core.model.stablelm;

import dev.billionllm.core.model.llama.LlamaWeightNames;

/**
 * Tensor names of {@code StableLmForCausalLM} checkpoints: llama's names (norms carry a bias,
 * which the same prefixes cover) plus the per-head q/k LayerNorms of {@code qk_layernorm}.
 */
public class StableLmWeightNames extends LlamaWeightNames {

    @Override
    public String qNorm(int i, int head) {
        return layer(i) + ".self_attn.q_layernorm.norms." + head;
    }

    @Override
    public String kNorm(int i, int head) {
        return layer(i) + ".self_attn.k_layernorm.norms." + head;
    }
}
