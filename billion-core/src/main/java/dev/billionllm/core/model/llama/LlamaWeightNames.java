package dev.billionllm.core.model.llama;

import dev.billionllm.core.model.WeightNames;

/** Tensor names of {@code LlamaForCausalLM} checkpoints: separate q/k/v and a gated MLP. */
public class LlamaWeightNames implements WeightNames {

    @Override
    public String layer(int i) {
        return "model.layers." + i;
    }

    @Override
    public String embedding() {
        return "model.embed_tokens.weight";
    }

    @Override
    public String lmHead() {
        return "lm_head.weight";
    }

    @Override
    public String finalNorm() {
        return "model.norm";
    }

    @Override
    public String[] qkv(int i) {
        String p = layer(i) + ".self_attn.";
        return new String[] {p + "q_proj", p + "k_proj", p + "v_proj"};
    }

    @Override
    public String attentionOutput(int i) {
        return layer(i) + ".self_attn.o_proj";
    }

    @Override
    public String mlpGate(int i) {
        return layer(i) + ".mlp.gate_proj";
    }

    @Override
    public String mlpUp(int i) {
        return layer(i) + ".mlp.up_proj";
    }

    @Override
    public String mlpDown(int i) {
        return layer(i) + ".mlp.down_proj";
    }
}
