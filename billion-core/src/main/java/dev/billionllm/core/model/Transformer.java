package dev.billionllm.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.billionllm.core.WeightLoadException;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.NormKind;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder-only stack: embedding, {@link DecoderLayer}s, final norm and output projection.
 * Built from a {@link ModelConfig} and a {@link WeightReader}; the weights live in the manager
 * passed to {@link #load} and are never copied afterwards.
 *
 * <pre>{@code
 * Transformer t = Transformer.load(config, WeightReader.of(source, "model/"), manager);
 * NDArray logits = t.forward(ids, step, true);   // [batch, 1, vocab]
 * }</pre>
 */
public final class Transformer {
    private final ModelConfig config;
    private final NDArray embedding; // [vocab, hidden]
    private final List<DecoderLayer> layers;
    private final Norm finalNorm;
    private final Linear lmHead; // hidden -> vocab
    private final RotaryEmbedding rope;

    private Transformer(ModelConfig config, NDArray embedding, List<DecoderLayer> layers, Norm finalNorm,
            Linear lmHead, RotaryEmbedding rope) {
        this.config = config;
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.rope = rope;
    }

    public ModelConfig config() {
        return config;
    }

    public List<DecoderLayer> layers() {
        return layers;
    }

    public RotaryEmbedding rope() {
        return rope;
    }

    /**
     * Runs token ids through the stack.
     *
     * @param ids {@code [batch, seq]} int64
     * @param step positions, mask and caches of this pass
     * @param lastOnly project only the last position to the vocabulary
     * @return logits {@code [batch, seq or 1, vocab]} in {@code step.manager()}
     */
    public NDArray forward(NDArray ids, Step step, boolean lastOnly) {
        NDArray x = ids.getNDArrayInternal().embedding(ids, embedding, SparseFormat.DENSE).singletonOrThrow();
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x, step, i);
        }
        if (lastOnly) {
            x = x.get(step.manager(), new NDIndex(":, -1:, :"));
        }
        return lmHead.apply(finalNorm.apply(x));
    }

    /**
     * Reads every weight of {@code config}'s architecture into {@code manager}, fusing q/k/v and
     * gate/up projections into single matrices so that each needs one GEMM per step.
     */
    public static Transformer load(ModelConfig config, WeightReader reader, NDManager manager) {
        return load(config, reader, manager, LinearHook.NONE);
    }

    /**
     * Like {@link #load(ModelConfig, WeightReader, NDManager)}, passing every projection through
     * {@code hook} (adapters such as LoRA wrap them there).
     */
    public static Transformer load(ModelConfig config, WeightReader reader, NDManager manager, LinearHook hook) {
        WeightNames names = WeightNames.of(config.family());
        Loader l = new Loader(config, reader, manager, hook);
        long hidden = config.hiddenSize();
        NDArray embedding = l.read(names.embedding(), new Shape(config.vocabSize(), hidden));
        NDArray head;
        if (config.tieWordEmbeddings()) {
            head = embedding;
        } else if (reader.contains(names.lmHead())) {
            head = l.read(names.lmHead(), new Shape(config.vocabSize(), hidden));
        } else {
            throw new WeightLoadException("missing tensor \"" + names.lmHead() + "\" and config.json has"
                    + " tie_word_embeddings false; set it to true if the output projection is the embedding");
        }
        RotaryEmbedding rope = new RotaryEmbedding(config.rope(), config.headDim());
        // Same dtype as the weights, so an fp64 model (gradient checks) multiplies fp64 by fp64.
        NDArray rotateHalf = rope.rotateHalfMatrix(manager).toType(embedding.getDataType(), false);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(l.layer(names, i, rotateHalf));
        }
        Norm finalNorm = l.norm(names.finalNorm());
        return new Transformer(config, embedding, layers, finalNorm, hook.wrap("lm_head", Linear.of(head, null)),
                rope);
    }

    /** Load-time helpers; temporaries go to a sub-manager so that only final weights stay. */
    private static final class Loader {
        private final ModelConfig c;
        private final WeightReader reader;
        private final NDManager manager;
        private final LinearHook hook;

        Loader(ModelConfig c, WeightReader reader, NDManager manager, LinearHook hook) {
            this.c = c;
            this.reader = reader;
            this.manager = manager;
            this.hook = hook;
        }

        NDArray read(String name, Shape shape) {
            return reader.read(name, shape, manager);
        }

        Norm norm(String prefix) {
            long h = c.hiddenSize();
            NDArray weight = read(prefix + ".weight", new Shape(h));
            NDArray bias = c.normKind() == NormKind.LAYER_NORM && reader.contains(prefix + ".bias")
                    ? read(prefix + ".bias", new Shape(h))
                    : null;
            return Norm.of(c.normKind(), weight, bias, c.normEps());
        }

        Linear linear(String prefix, long out, long in, boolean bias) {
            return Linear.of(read(prefix + ".weight", new Shape(out, in)),
                    bias ? read(prefix + ".bias", new Shape(out)) : null);
        }

        /** Concatenates projections along the output dimension: [out1 | out2 | ...]. */
        Linear fused(String[] prefixes, long[] outs, long in, boolean bias) {
            try (NDManager tmp = manager.newSubManager()) {
                NDList weights = new NDList();
                NDList biases = new NDList();
                for (int j = 0; j < prefixes.length; j++) {
                    weights.add(reader.read(prefixes[j] + ".weight", new Shape(outs[j], in), tmp));
                    if (bias) {
                        biases.add(reader.read(prefixes[j] + ".bias", new Shape(outs[j]), tmp));
                    }
                }
                NDArray w = NDArrays.concat(weights, 0);
                w.attach(manager);
                NDArray b = null;
                if (bias) {
                    b = NDArrays.concat(biases, 0);
                    b.attach(manager);
                }
                return Linear.of(w, b);
            }
        }

        /**
         * GPT-NeoX's query_key_value rows are grouped per head as [q_h, k_h, v_h]; regroup them to
         * [all q | all k | all v] so the attention block is the same as for separate projections.
         */
        Linear neoxQkv(String prefix) {
            long heads = c.numAttentionHeads();
            long d = c.headDim();
            long h = c.hiddenSize();
            try (NDManager tmp = manager.newSubManager()) {
                NDArray w = reader.read(prefix + ".weight", new Shape(heads * 3 * d, h), tmp)
                        .reshape(heads, 3, d, h).transpose(1, 0, 2, 3).reshape(3 * heads * d, h);
                w.attach(manager);
                NDArray b = null;
                if (c.qkvBias()) {
                    b = reader.read(prefix + ".bias", new Shape(heads * 3 * d), tmp)
                            .reshape(heads, 3, d).transpose(1, 0, 2).reshape(3 * heads * d);
                    b.attach(manager);
                }
                return Linear.of(w, b);
            }
        }

        /** Per-head norm weights stacked to [heads, headDim]. */
        Norm perHead(String[] prefixes) {
            try (NDManager tmp = manager.newSubManager()) {
                NDList rows = new NDList();
                for (String p : prefixes) {
                    rows.add(reader.read(p + ".weight", new Shape(c.headDim()), tmp));
                }
                NDArray stacked = NDArrays.stack(rows, 0);
                stacked.attach(manager);
                return new Norm.PerHeadLayerNorm(stacked, c.normEps());
            }
        }

        DecoderLayer layer(WeightNames names, int i, NDArray rotateHalf) {
            long h = c.hiddenSize();
            long q = (long) c.numAttentionHeads() * c.headDim();
            long kv = (long) c.numKeyValueHeads() * c.headDim();
            Linear qkv;
            if (c.qkvFused()) {
                if (c.numKeyValueHeads() != c.numAttentionHeads()) {
                    throw new WeightLoadException("a fused query_key_value needs as many kv heads as heads, got "
                            + c.numKeyValueHeads() + " and " + c.numAttentionHeads());
                }
                qkv = neoxQkv(names.fusedQkv(i));
            } else {
                qkv = fused(names.qkv(i), new long[] {q, kv, kv}, h, c.qkvBias());
            }
            qkv = hook.wrap("layers." + i + ".qkv", qkv);
            Linear out = hook.wrap("layers." + i + ".attention_output",
                    linear(names.attentionOutput(i), h, q, c.outputBias()));
            Norm qkNorm = null;
            if (c.qkNorm()) {
                // q heads then k heads, matching the [q | k] head order inside Attention.
                int qHeads = c.numAttentionHeads();
                String[] prefixes = new String[qHeads + c.numKeyValueHeads()];
                for (int j = 0; j < prefixes.length; j++) {
                    prefixes[j] = j < qHeads ? names.qNorm(i, j) : names.kNorm(i, j - qHeads);
                }
                qkNorm = perHead(prefixes);
            }
            Attention attention = new Attention(c, qkv, out, qkNorm, rotateHalf);

            long inter = c.intermediateSize();
            Linear up = c.mlpKind() == MlpKind.GATED
                    ? fused(new String[] {names.mlpGate(i), names.mlpUp(i)}, new long[] {inter, inter}, h, c.mlpBias())
                    : linear(names.mlpUp(i), inter, h, c.mlpBias());
            up = hook.wrap("layers." + i + ".mlp_up", up);
            Linear down = hook.wrap("layers." + i + ".mlp_down", linear(names.mlpDown(i), h, inter, c.mlpBias()));
            Mlp mlp = new Mlp(c.mlpKind(), c.activation(), up, down);

            Norm norm1 = norm(names.inputNorm(i));
            // StableLM's parallel block has no post-attention norm and reuses the input norm.
            Norm norm2 = c.parallelResidual() && !reader.contains(names.postAttentionNorm(i) + ".weight")
                    ? null
                    : norm(names.postAttentionNorm(i));
            return new DecoderLayer(norm1, attention, norm2, mlp, c.parallelResidual());
        }
    }
}
