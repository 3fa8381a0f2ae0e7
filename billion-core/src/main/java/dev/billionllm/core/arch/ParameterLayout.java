package dev.billionllm.core.arch;

import dev.billionllm.core.arch.Architecture.QkvLayout;
import dev.billionllm.core.arch.Parameter.Assembly;
import dev.billionllm.core.arch.Parameter.Part;
import dev.billionllm.core.arch.TensorNames.Module;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.NormKind;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's parameters as both backends load them, from its {@link ModelConfig} and its
 * architecture's {@link TensorNames}: names, shapes and fusion, for every family at once.
 *
 * <pre>
 * embedding         [vocab, hidden]
 * layer i:
 *   inputNorm       weight [hidden] (+ bias [hidden] for LayerNorm, when present)
 *   qkv             [(heads + 2 kvHeads) * headDim, hidden]  rows [q; k; v]      (+ bias)
 *   qkNorm          [heads + kvHeads, headDim]  q heads then k heads              (qk-norm only)
 *   output          [hidden, heads * headDim]                                     (+ bias)
 *   mlpNorm         like inputNorm; null when a parallel block shares the input norm
 *   mlpIn           gated: [2 * intermediate, hidden] rows [gate; up]; plain: [intermediate, hidden]
 *   mlpOut          [hidden, intermediate]
 * finalNorm         like inputNorm
 * lmHead            [vocab, hidden], the embedding when tied
 * </pre>
 *
 * <pre>{@code
 * ParameterLayout layout = new ParameterLayout(config);
 * ParameterLayout.Layer first = layout.layer(0);
 * first.qkv().weight().parts();   // q_proj, k_proj, v_proj (or query_key_value)
 * }</pre>
 */
public final class ParameterLayout {

    private final ModelConfig c;
    private final TensorNames names;

    public ParameterLayout(ModelConfig config) {
        this.c = config;
        this.names = config.architecture().tensorNames();
    }

    /**
     * A projection {@code y = x W^T + b}.
     *
     * @param role the role a {@code LinearHook} sees ({@code "layers.0.qkv"})
     * @param weight {@code [out, in]}
     * @param bias {@code [out]}, or null when the projection has none
     */
    public record Projection(String role, Parameter weight, Parameter bias) {}

    /**
     * A norm's scale and, for LayerNorm, its shift (optional: some checkpoints have none; a missing
     * shift is zero).
     */
    public record NormWeights(Parameter weight, Parameter bias) {}

    /**
     * One decoder layer.
     *
     * @param qkNorm per-head q/k norm scales, or null without qk-norm
     * @param mlpNorm the norm before the MLP, or null when a parallel block feeds the MLP from the
     *     input norm
     */
    public record Layer(NormWeights inputNorm, Projection qkv, Parameter qkNorm, Projection output,
            NormWeights mlpNorm, Projection mlpIn, Projection mlpOut) {

        /**
         * The layer's projections in forward order (qkv, output, mlpIn, mlpOut): with their parts,
         * every linear module of the checkpoint an adapter can target.
         */
        public List<Projection> projections() {
            return List.of(qkv, output, mlpIn, mlpOut);
        }
    }

    /** Token embeddings {@code [vocab, hidden]}. */
    public Parameter embedding() {
        return single("embedding", Module.EMBED_TOKENS, 0, ".weight", false, c.vocabSize(), c.hiddenSize());
    }

    /** The output projection; its weight is {@link #embedding()} when embeddings are tied. */
    public Projection lmHead() {
        Parameter w = c.tieWordEmbeddings() ? embedding()
                : single("lm_head", Module.LM_HEAD, 0, ".weight", false, c.vocabSize(), c.hiddenSize());
        return new Projection("lm_head", w, null);
    }

    /** The norm after the last layer. */
    public NormWeights finalNorm() {
        return norm("final_norm", Module.NORM, 0);
    }

    /** Layer {@code i}'s parameters. */
    public Layer layer(int i) {
        String role = "layers." + i + ".";
        long h = c.hiddenSize();
        int d = c.headDim();
        long q = (long) c.numAttentionHeads() * d;
        long kv = (long) c.numKeyValueHeads() * d;
        long inter = c.intermediateSize();

        Projection qkv;
        if (c.architecture().qkvLayout() == QkvLayout.PER_HEAD_INTERLEAVED) {
            if (c.numKeyValueHeads() != c.numAttentionHeads()) {
                throw new IllegalArgumentException("a per-head interleaved query_key_value needs as many kv heads as"
                        + " heads, got " + c.numKeyValueHeads() + " and " + c.numAttentionHeads());
            }
            qkv = new Projection(role + "qkv", interleaved(role + "qkv", i, ".weight", q + 2 * kv, h),
                    c.qkvBias() ? interleaved(role + "qkv.bias", i, ".bias", q + 2 * kv) : null);
        } else {
            Module[] m = {Module.Q_PROJ, Module.K_PROJ, Module.V_PROJ};
            long[] rows = {q, kv, kv};
            qkv = new Projection(role + "qkv", concat(role + "qkv", m, rows, i, ".weight", h),
                    c.qkvBias() ? concat(role + "qkv.bias", m, rows, i, ".bias", 0) : null);
        }

        Parameter qkNorm = null;
        if (c.qkNorm()) {
            // q heads then k heads, the order of the q and k rows in qkv.
            List<Part> parts = new ArrayList<>();
            for (int head = 0; head < c.numAttentionHeads(); head++) {
                parts.add(part(Module.Q_NORM, i, head, ".weight", d));
            }
            for (int head = 0; head < c.numKeyValueHeads(); head++) {
                parts.add(part(Module.K_NORM, i, head, ".weight", d));
            }
            qkNorm = new Parameter(role + "qk_norm", new long[] {c.numAttentionHeads() + c.numKeyValueHeads(), d},
                    parts, Assembly.CONCAT, 0, false);
        }

        Projection output = projection(role + "attention_output", Module.O_PROJ, i, h, q, c.outputBias());

        NormWeights mlpNorm = c.parallelResidual() && c.architecture().parallelNormShared() ? null
                : norm(role + "post_attention_layernorm", Module.POST_ATTENTION_LAYERNORM, i);
        Projection mlpIn;
        if (c.mlpKind() == MlpKind.GATED) {
            Module[] m = {Module.GATE_PROJ, Module.UP_PROJ};
            long[] rows = {inter, inter};
            mlpIn = new Projection(role + "mlp_up", concat(role + "mlp_up", m, rows, i, ".weight", h),
                    c.mlpBias() ? concat(role + "mlp_up.bias", m, rows, i, ".bias", 0) : null);
        } else {
            mlpIn = projection(role + "mlp_up", Module.UP_PROJ, i, inter, h, c.mlpBias());
        }
        Projection mlpOut = projection(role + "mlp_down", Module.DOWN_PROJ, i, h, inter, c.mlpBias());
        return new Layer(norm(role + "input_layernorm", Module.INPUT_LAYERNORM, i), qkv, qkNorm, output, mlpNorm,
                mlpIn, mlpOut);
    }

    /** Every parameter, in load order (the embedding once when tied; optional ones included). */
    public List<Parameter> all() {
        List<Parameter> out = new ArrayList<>();
        out.add(embedding());
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            Layer l = layer(i);
            add(out, l.inputNorm());
            add(out, l.qkv());
            if (l.qkNorm() != null) {
                out.add(l.qkNorm());
            }
            add(out, l.output());
            if (l.mlpNorm() != null) {
                add(out, l.mlpNorm());
            }
            add(out, l.mlpIn());
            add(out, l.mlpOut());
        }
        add(out, finalNorm());
        if (!c.tieWordEmbeddings()) {
            add(out, lmHead());
        }
        return out;
    }

    private static void add(List<Parameter> out, Projection p) {
        out.add(p.weight());
        if (p.bias() != null) {
            out.add(p.bias());
        }
    }

    private static void add(List<Parameter> out, NormWeights n) {
        out.add(n.weight());
        if (n.bias() != null) {
            out.add(n.bias());
        }
    }

    private NormWeights norm(String role, Module module, int layer) {
        long h = c.hiddenSize();
        return new NormWeights(single(role, module, layer, ".weight", false, h),
                c.normKind() == NormKind.LAYER_NORM ? single(role + ".bias", module, layer, ".bias", true, h) : null);
    }

    private Projection projection(String role, Module module, int layer, long out, long in, boolean bias) {
        return new Projection(role, single(role, module, layer, ".weight", false, out, in),
                bias ? single(role + ".bias", module, layer, ".bias", false, out) : null);
    }

    private Parameter single(String role, Module module, int layer, String suffix, boolean optional, long... shape) {
        return new Parameter(role, shape, List.of(part(module, layer, 0, suffix, shape)), Assembly.CONCAT, 0,
                optional);
    }

    /** Row-wise concatenation of one tensor per module; {@code in} 0 for biases. */
    private Parameter concat(String role, Module[] modules, long[] rows, int layer, String suffix, long in) {
        List<Part> parts = new ArrayList<>();
        long total = 0;
        for (int j = 0; j < modules.length; j++) {
            parts.add(in == 0 ? part(modules[j], layer, 0, suffix, rows[j]) : part(modules[j], layer, 0, suffix,
                    rows[j], in));
            total += rows[j];
        }
        return new Parameter(role, in == 0 ? new long[] {total} : new long[] {total, in}, parts, Assembly.CONCAT, 0,
                false);
    }

    private Parameter interleaved(String role, int layer, String suffix, long... shape) {
        return new Parameter(role, shape, List.of(part(Module.QUERY_KEY_VALUE, layer, 0, suffix, shape)),
                Assembly.PER_HEAD_INTERLEAVED, c.numAttentionHeads(), false);
    }

    private Part part(Module module, int layer, int head, String suffix, long... shape) {
        String prefix = names.prefix(module, layer, head);
        return new Part(module, prefix, prefix + suffix, shape);
    }
}
