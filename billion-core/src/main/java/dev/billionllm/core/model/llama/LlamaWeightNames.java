package dev.billionllm.core.model.llama;

import dev.billionllm.core.model.WeightNames;

/** Tensor names of {@code LlamaForCausalLM} checkpoints. */
public class LlamaWeightNames implements WeightNames {

    protected static String layer(int i) {
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
    public String inputNorm(int i) {
        return layer(i) + ".input_layernorm";
    }

    @Override
    public String postAttentionNorm(int i) {
        return layer(i) + ".post_attention_layernorm";
    }

    @Override
    public String[] qkv(int i) {
        String p = layer(i) + ".self_attn.";
        return new String[] {p + "q_proj", p + "k_proj", p + "v_proj"};
    }

    @Override
    public String fusedQkv(int i) {
        throw new UnsupportedOperationException("llama checkpoints have separate q/k/v projections");
    }

    @Override
    public String attentionOutput(int i) {
        return layer(i) + ".self_attn.o_proj";
    }

    @Override
    public String qNorm(int i, int head) {
        throw new UnsupportedOperationException("llama has no qk-norm");
    }

    @Override
    public String kNorm(int i, int head) {
        throw new UnsupportedOperationException("llama has no qk-norm");
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
