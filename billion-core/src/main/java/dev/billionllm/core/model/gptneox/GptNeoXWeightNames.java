package dev.billionllm.core.model.gptneox;

import dev.billionllm.core.model.WeightNames;

/** Tensor names of {@code GPTNeoXForCausalLM} checkpoints (Pythia). */
public class GptNeoXWeightNames implements WeightNames {

    private static String layer(int i) {
        return "gpt_neox.layers." + i;
    }

    @Override
    public String embedding() {
        return "gpt_neox.embed_in.weight";
    }

    @Override
    public String lmHead() {
        return "embed_out.weight";
    }

    @Override
    public String finalNorm() {
        return "gpt_neox.final_layer_norm";
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
        throw new UnsupportedOperationException("gpt_neox fuses q/k/v into query_key_value");
    }

    @Override
    public String fusedQkv(int i) {
        return layer(i) + ".attention.query_key_value";
    }

    @Override
    public String attentionOutput(int i) {
        return layer(i) + ".attention.dense";
    }

    @Override
    public String qNorm(int i, int head) {
        throw new UnsupportedOperationException("gpt_neox has no qk-norm");
    }

    @Override
    public String kNorm(int i, int head) {
        throw new UnsupportedOperationException("gpt_neox has no qk-norm");
    }

    @Override
    public String mlpGate(int i) {
        throw new UnsupportedOperationException("gpt_neox has a plain (ungated) MLP");
    }

    @Override
    public String mlpUp(int i) {
        return layer(i) + ".mlp.dense_h_to_4h";
    }

    @Override
    public String mlpDown(int i) {
        return layer(i) + ".mlp.dense_4h_to_h";
    }
}
