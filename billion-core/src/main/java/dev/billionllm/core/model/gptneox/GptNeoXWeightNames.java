package dev.billionllm.core.model.gptneox;

import dev.billionllm.core.model.WeightNames;

/**
 * Tensor names of {@code GPTNeoXForCausalLM} checkpoints (Pythia): a fused {@code query_key_value}
 * and a plain MLP; the layer norms have the shared names.
 */
public class GptNeoXWeightNames implements WeightNames {

    @Override
    public String layer(int i) {
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
    public String fusedQkv(int i) {
        return layer(i) + ".attention.query_key_value";
    }

    @Override
    public String attentionOutput(int i) {
        return layer(i) + ".attention.dense";
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
