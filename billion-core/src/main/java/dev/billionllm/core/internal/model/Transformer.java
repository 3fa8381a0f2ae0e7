package dev.billionllm.core.internal.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.SparseFormat;
import dev.billionllm.core.arch.Parameter;
import dev.billionllm.core.arch.ParameterLayout;
import dev.billionllm.core.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder-only stack: embedding, {@link DecoderLayer}s, final norm and output projection.
 * Built from a {@link ModelConfig}, the {@link ParameterLayout} it implies (the same one the ONNX
 * exporter reads) and a {@link WeightReader}; the weights live in the manager passed to
 * {@link #load} and are never copied afterwards.
 *
 * <pre>{@code
 * Transformer t = Transformer.load(config, WeightReader.of(source, "model/"), manager);
 * NDArray logits = t.forward(ids, step, true);   // [batch, 1, vocab]
 * }</pre>
 */
public final class Transformer {
    private final NDArray embedding; // [vocab, hidden]
    private final List<DecoderLayer> layers;
    private final Norm finalNorm;
    private final Linear lmHead; // hidden -> vocab
    private final RotaryEmbedding rope;

    private Transformer(NDArray embedding, List<DecoderLayer> layers, Norm finalNorm, Linear lmHead,
            RotaryEmbedding rope) {
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.rope = rope;
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
        NDArray x = hidden(ids, step);
        if (lastOnly) {
            // [:, -1:, :] built directly, as in Attention: the string form is parsed on every step.
            long seq = x.getShape().get(1);
            x = x.get(step.manager(), NDIndex.sliceAxis(1, seq - 1, seq));
        }
        return logits(x);
    }

    /**
     * The last decoder layer's output {@code [batch, seq, hidden]}, before the final norm: lets a
     * caller project only some positions to the vocabulary (training scores only labelled ones).
     */
    public NDArray hidden(NDArray ids, Step step) {
        NDArray x = ids.getNDArrayInternal().embedding(ids, embedding, SparseFormat.DENSE).singletonOrThrow();
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x, step, i);
        }
        return x;
    }

    /** Final norm and output projection of hidden states {@code [..., hidden]}: logits {@code [..., vocab]}. */
    public NDArray logits(NDArray hidden) {
        return lmHead.apply(finalNorm.apply(hidden));
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
        ParameterLayout layout = new ParameterLayout(config);
        Loader l = new Loader(config, reader, manager, hook);
        NDArray embedding = l.read(layout.embedding());
        NDArray head = config.tieWordEmbeddings() ? embedding : l.read(layout.lmHead().weight());
        RotaryEmbedding rope = new RotaryEmbedding(config.rope(), config.headDim());
        // Same dtype as the weights, so an fp64 model (gradient checks) multiplies fp64 by fp64.
        NDArray rotateHalf = rope.rotateHalfMatrix(manager).toType(embedding.getDataType(), false);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(l.layer(layout.layer(i), rotateHalf));
        }
        Norm finalNorm = l.norm(layout.finalNorm());
        return new Transformer(embedding, layers, finalNorm, hook.wrap(layout.lmHead(), Linear.of(head, null)), rope);
    }

    /** Builds the blocks from the parameters of {@link ParameterLayout}. */
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

        NDArray read(Parameter p) {
            return p == null ? null : reader.read(p, manager);
        }

        Norm norm(ParameterLayout.NormWeights n) {
            return Norm.of(c.normKind(), read(n.weight()), read(n.bias()), c.normEps());
        }

        Linear linear(ParameterLayout.Projection p) {
            return hook.wrap(p, Linear.of(read(p.weight()), read(p.bias())));
        }

        DecoderLayer layer(ParameterLayout.Layer p, NDArray rotateHalf) {
            Norm qkNorm = p.qkNorm() == null ? null : new Norm.PerHeadLayerNorm(read(p.qkNorm()), c.normEps());
            Attention attention = new Attention(c, linear(p.qkv()), linear(p.output()), qkNorm, rotateHalf);
            Mlp mlp = new Mlp(c.mlpKind(), c.activation(), linear(p.mlpIn()), linear(p.mlpOut()), manager);
            // mlpNorm is null when a parallel block feeds the MLP from the input norm (StableLM).
            return new DecoderLayer(norm(p.inputNorm()), attention, p.mlpNorm() == null ? null : norm(p.mlpNorm()),
                    mlp, c.parallelResidual());
        }
    }
}
