package dev.billionllm.core.export;

import static dev.billionllm.core.export.OnnxGraph.BOOL;
import static dev.billionllm.core.export.OnnxGraph.FLOAT;
import static dev.billionllm.core.export.OnnxGraph.INT32;
import static dev.billionllm.core.export.OnnxGraph.INT64;
import static dev.billionllm.core.export.OnnxGraph.MS_DOMAIN;

import dev.billionllm.core.arch.CheckpointReader;
import dev.billionllm.core.arch.Numerics;
import dev.billionllm.core.arch.Parameter;
import dev.billionllm.core.arch.ParameterLayout;
import dev.billionllm.core.arch.RopeSchedule;
import dev.billionllm.core.config.Activation;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.config.NormKind;
import dev.billionllm.core.export.OnnxGraph.Attr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes the decoder graph, once for every family: each {@link ModelConfig} switch (norm kind,
 * partial rotary, rope scaling, GQA, biases, qk-norm, parallel residual, MLP kind, tied embeddings) picks
 * a branch here, and the weights come from the {@link ParameterLayout} the PyTorch model loads too
 * (tensor names and fused layouts of every family), read by {@link CheckpointReader}.
 *
 * <p>Inputs and outputs follow Optimum's text-generation-with-past layout: {@code input_ids},
 * {@code attention_mask [batch, past + seq]}, {@code position_ids}, {@code past_key_values.{i}.key|value
 * [batch, kv_heads, past, head_dim]}; {@code logits [batch, seq, vocab]} and {@code present.{i}.key|value}.
 */
final class DecoderGraphBuilder {

    private final ModelConfig config;
    private final CheckpointReader reader;
    private final ParameterLayout layout;
    private final OnnxGraph g;
    private final ExportOptions options;

    // Shared per forward call: rotary cos/sin ([batch, 1, seq, rotary/2], or the
    // [max_positions, rotary/2] tables of the fused operator) and the additive mask.
    private String cos;
    private String sin;
    private String positions;
    private String maskBias;
    // [headDim] ones shared by every layer's qk-norm (null until the first).
    private String unitScale;
    // GroupQueryAttention's lengths: seqlens_k (real cached tokens + seq - 1, [batch]) and past + seq (scalar), int32.
    private String seqlensK;
    private String totalLength;

    DecoderGraphBuilder(ModelConfig config, CheckpointReader reader, OnnxGraph graph, ExportOptions options) {
        this.config = config;
        this.reader = reader;
        this.layout = new ParameterLayout(config);
        this.g = graph;
        this.options = options;
    }

    void build() {
        int layers = config.numHiddenLayers();
        int kv = config.numKeyValueHeads();
        int d = config.headDim();
        String ids = g.input("input_ids", INT64, "batch_size", "sequence_length");
        String mask = g.input("attention_mask", INT64, "batch_size", "total_sequence_length");
        String positions = g.input("position_ids", INT64, "batch_size", "sequence_length");
        String unroll = null;
        if (options.fusedAttention()) {
            String[] aligned = rightAlign(ids, mask, positions);
            ids = aligned[0];
            positions = aligned[1];
            unroll = aligned[2];
        }
        for (int i = 0; i < layers; i++) {
            g.input("past_key_values." + i + ".key", FLOAT, "batch_size", kv, "past_sequence_length", d);
            g.input("past_key_values." + i + ".value", FLOAT, "batch_size", kv, "past_sequence_length", d);
        }
        g.output("logits", FLOAT, "batch_size", "sequence_length", config.vocabSize());
        for (int i = 0; i < layers; i++) {
            g.output("present." + i + ".key", FLOAT, "batch_size", kv, "total_sequence_length", d);
            g.output("present." + i + ".value", FLOAT, "batch_size", kv, "total_sequence_length", d);
        }

        // The embedding stays fp32: a row lookup costs nothing at any precision.
        String table = g.floats("embed_tokens.weight", new long[] {config.vocabSize(), config.hiddenSize()},
                read(layout.embedding()));
        String x = g.op("Gather", table, ids);

        rotary(positions);
        if (!options.fusedAttention()) {
            attentionMask(ids, mask);
        }

        // A layer's last residual add is left to the next norm, which may fuse it (SkipSimplifiedLayerNormalization).
        String pending = null;
        for (int i = 0; i < layers; i++) {
            String[] out = decoderLayer(i, x, pending);
            x = out[0];
            pending = out[1];
        }

        String normed = addNorm(x, pending, "final_norm", layout.finalNorm())[0];
        if (unroll != null) {
            normed = gatherRows(normed, unroll);
        }
        String logits = options.effectiveLmHeadPrecision() == Precision.FP32
                ? fp32LmHead(normed, table)
                : linear(normed, "lm_head", read(layout.lmHead().weight()), null, config.vocabSize(), config.hiddenSize(),
                        options.effectiveLmHeadPrecision());
        g.nodeNamed("", "Identity", List.of(logits), List.of("logits"));
    }

    /**
     * fp32 output projection as {@code Gemm} with transB over the {@code [vocab, hidden]} matrix as
     * the checkpoint stores it: tied embeddings reuse the embedding table instead of a transposed
     * copy (1 GB saved for Llama 3.2's 128256 x 2048).
     */
    private String fp32LmHead(String x, String embeddingTable) {
        String w = config.tieWordEmbeddings() ? embeddingTable
                : g.floats("lm_head.weight", new long[] {config.vocabSize(), config.hiddenSize()},
                        read(layout.lmHead().weight()));
        String rows = g.op("Reshape", x, g.int64s(-1, config.hiddenSize()));
        String y = g.op("Gemm", List.of(rows, w), Attr.of("transB", 1L));
        String batchSeq = g.op("Shape", List.of(x), Attr.of("start", 0L), Attr.of("end", 2L));
        String shape = g.op("Concat", List.of(batchSeq, g.int64s(config.vocabSize())), Attr.of("axis", 0L));
        return g.op("Reshape", y, shape);
    }

    /**
     * cos and sin of position x inverse frequency: a table for the fused operator, else computed
     * in-graph from position_ids (no table of max_position_embeddings rows).
     */
    private void rotary(String positions) {
        RopeSchedule schedule = new RopeSchedule(config.rope(), config.headDim());
        float[] inv = schedule.inverseFrequencies();
        this.positions = positions;
        if (options.fusedRotary()) {
            int rows = config.maxPositionEmbeddings();
            float[] cosTable = new float[rows * inv.length];
            float[] sinTable = new float[rows * inv.length];
            for (int p = 0; p < rows; p++) {
                for (int i = 0; i < inv.length; i++) {
                    float angle = schedule.angle(p, i);
                    cosTable[p * inv.length + i] = (float) Math.cos(angle);
                    sinTable[p * inv.length + i] = (float) Math.sin(angle);
                }
            }
            long[] dims = {rows, inv.length};
            cos = g.floats("rope.cos_cache", dims, cosTable);
            sin = g.floats("rope.sin_cache", dims, sinTable);
            return;
        }
        String invFreq = g.floats("rope.inv_freq", new long[] {inv.length}, inv);
        String pos = g.op("Unsqueeze", List.of(g.op("Cast", List.of(positions), Attr.of("to", (long) FLOAT)),
                g.int64s(-1)));
        // [batch, seq, 1] * [rotary/2]: the same single product transformers takes with its matmul.
        String freqs = g.op("Mul", pos, invFreq);
        String heads = g.int64s(1);
        cos = g.op("Unsqueeze", g.op("Cos", freqs), heads);
        sin = g.op("Unsqueeze", g.op("Sin", freqs), heads);
    }

    /**
     * Additive mask {@code [batch, 1, seq, total]} (tiled over the query heads that share a kv
     * head): key j is visible to query i when {@code j <= past + i} and attention_mask[j] is 1.
     */
    private void attentionMask(String ids, String mask) {
        String total = g.op("Shape", List.of(mask), Attr.of("start", 1L), Attr.of("end", 2L));
        String seq = g.op("Shape", List.of(ids), Attr.of("start", 1L), Attr.of("end", 2L));
        String past = g.op("Sub", total, seq);
        String zero = g.int64s(true, 0);
        String one = g.int64s(true, 1);
        String totalScalar = g.op("Squeeze", total);
        String keys = g.op("Range", zero, totalScalar, one);
        String queries = g.op("Range", g.op("Squeeze", past), totalScalar, one);
        String causal = g.op("LessOrEqual", g.op("Unsqueeze", keys, g.int64s(0)), g.op("Unsqueeze", queries, g.int64s(1)));
        String padding = g.op("Unsqueeze", List.of(g.op("Cast", List.of(mask), Attr.of("to", (long) BOOL)),
                g.int64s(1, 2)));
        String allowed = g.op("And", causal, padding);
        String bias = g.op("Where", allowed, g.scalar(0f), g.scalar(Numerics.MASKED_SCORE));
        int group = config.queriesPerKeyValue();
        // Scores are [batch, kv, group * seq, total] (see attention); repeat the rows per group.
        maskBias = group == 1 ? bias : g.op("Tile", bias, g.int64s(1, 1, group, 1));
    }

    /**
     * One decoder layer on the residual stream {@code x + pending} (pending: the previous layer's
     * last residual term, or null).
     *
     * @return the residual stream and the term still to add to it, as this layer's input
     */
    private String[] decoderLayer(int i, String x, String pending) {
        String p = "layers." + i + ".";
        ParameterLayout.Layer weights = layout.layer(i);
        String[] in = addNorm(x, pending, p + "input_layernorm", weights.inputNorm());
        x = in[1];
        String attn = attention(i, weights, in[0]);
        if (config.parallelResidual()) {
            // GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x)); StableLM: x + attn(ln1(x)) + mlp(ln1(x)), one
            // shared norm (StableLmDecoderLayer has no post_attention_layernorm then). Summed as
            // (mlp + attn) + x, NeoX's order; StableLM's (x + attn) + mlp differs in rounding only.
            String mlpIn = weights.mlpNorm() != null
                    ? norm(x, p + "post_attention_layernorm", weights.mlpNorm())
                    : in[0];
            return new String[] {g.op("Add", g.op("Add", mlp(i, weights, mlpIn), attn), x), null};
        }
        String[] post = addNorm(x, attn, p + "post_attention_layernorm", weights.mlpNorm());
        return new String[] {post[1], mlp(i, weights, post[0])};
    }

    /**
     * {@code norm(x + delta)} (delta may be null: {@code norm(x)}).
     *
     * @return the normalised value and the sum {@code x + delta}
     */
    private String[] addNorm(String x, String delta, String name, ParameterLayout.NormWeights weights) {
        if (delta == null) {
            return new String[] {norm(x, name, weights), x};
        }
        if (options.skipNorm() && config.normKind() == NormKind.RMS_NORM) {
            // Outputs: normalised, mean, inv_std_var, input + skip (the residual stream for later layers).
            String w = g.floats(name + ".weight", new long[] {config.hiddenSize()}, read(weights.weight()));
            String[] out = g.node(MS_DOMAIN, "SkipSimplifiedLayerNormalization", List.of(x, delta, w), 4,
                    Attr.of("epsilon", (float) config.normEps()));
            return new String[] {out[0], out[3]};
        }
        String sum = g.op("Add", x, delta);
        return new String[] {norm(sum, name, weights), sum};
    }

    private String attention(int i, ParameterLayout.Layer weights, String x) {
        String p = "layers." + i + ".attn.";
        int heads = config.numAttentionHeads();
        int kv = config.numKeyValueHeads();
        int d = config.headDim();
        int hidden = config.hiddenSize();
        // One projection for q, k and v (rows stacked [q; k; v]), then split.
        String qkv = linear(x, p + "qkv", read(weights.qkv().weight()), read(weights.qkv().bias()),
                (heads + 2 * kv) * d, hidden, options.precision());
        String[] parts = weights.qkNorm() != null
                ? qkNorm(i, read(weights.qkNorm()), qkv)
                : g.node("", "Split", List.of(qkv, g.int64s(heads * d, kv * d, kv * d)), 3, Attr.of("axis", 2L));
        if (options.fusedAttention()) {
            return outputProjection(i, weights, groupQueryAttention(i, parts));
        }
        String q;
        String k;
        if (options.fusedRotary()) {
            q = toHeads(fusedRope(parts[0], heads), heads);
            k = toHeads(fusedRope(parts[1], kv), kv);
        } else {
            q = rope(toHeads(parts[0], heads));
            k = rope(toHeads(parts[1], kv));
        }
        String v = toHeads(parts[2], kv);

        String presentKey = "present." + i + ".key";
        String presentValue = "present." + i + ".value";
        g.nodeNamed("", "Concat", List.of("past_key_values." + i + ".key", k), List.of(presentKey), Attr.of("axis", 2L));
        g.nodeNamed("", "Concat", List.of("past_key_values." + i + ".value", v), List.of(presentValue),
                Attr.of("axis", 2L));

        // GQA without copying k/v: the query heads sharing a kv head become extra rows,
        // [batch, kv, group * seq, d], in the head order transformers' repeat_kv gives (h = kv_h * group + j).
        q = g.op("Mul", q, g.scalar(Numerics.attentionScale(d)));
        if (heads != kv) {
            q = g.op("Reshape", q, g.int64s(0, kv, -1, d));
        }
        String keysT = g.op("Transpose", List.of(presentKey), Attr.ints("perm", 0, 1, 3, 2));
        String scores = g.op("Add", g.op("MatMul", q, keysT), maskBias);
        // Softmax stays fp32 (the whole graph is fp32; only weights are quantised).
        String probs = g.op("Softmax", List.of(scores), Attr.of("axis", -1L));
        String context = g.op("MatMul", probs, presentValue);
        if (heads != kv) {
            context = g.op("Reshape", context, g.int64s(0, heads, -1, d));
        }
        String merged = g.op("Reshape", g.op("Transpose", List.of(context), Attr.ints("perm", 0, 2, 1, 3)),
                g.int64s(0, 0, (long) heads * d));
        return outputProjection(i, weights, merged);
    }

    /** o_proj over the merged heads {@code [batch, seq, heads * d]}. */
    private String outputProjection(int i, ParameterLayout.Layer weights, String merged) {
        int inputs = config.numAttentionHeads() * config.headDim();
        return linear(merged, "layers." + i + ".attn.o_proj", read(weights.output().weight()),
                read(weights.output().bias()), config.hiddenSize(), inputs, options.precision());
    }

    /**
     * com.microsoft.GroupQueryAttention over {@code [batch, seq, n * d]} q, k, v (rotary applied
     * first, as in the standard graph): appends k and v to the past, attends causally, and returns
     * {@code [batch, seq, heads * d]}. The kernel has no mask; {@link #rightAlign} arranges the rows
     * so that it needs none.
     */
    private String groupQueryAttention(int i, String[] qkv) {
        int heads = config.numAttentionHeads();
        int kv = config.numKeyValueHeads();
        String q;
        String k;
        if (options.fusedRotary()) {
            q = fusedRope(qkv[0], heads);
            k = fusedRope(qkv[1], kv);
        } else {
            q = fromHeads(rope(toHeads(qkv[0], heads)), heads);
            k = fromHeads(rope(toHeads(qkv[1], kv)), kv);
        }
        String out = "layers." + i + ".attn.gqa_output";
        g.nodeNamed(MS_DOMAIN, "GroupQueryAttention",
                List.of(q, k, qkv[2], "past_key_values." + i + ".key", "past_key_values." + i + ".value", seqlensK,
                        totalLength),
                List.of(out, "present." + i + ".key", "present." + i + ".value"),
                Attr.of("num_heads", (long) heads), Attr.of("kv_num_heads", (long) kv),
                Attr.of("scale", Numerics.attentionScale(config.headDim())));
        return out;
    }

    /**
     * GroupQueryAttention's CPU kernel has no mask: row b's keys are the first seqlens_k[b] + 1
     * rows of its cache, and the new tokens go right after the {@code past_seqlen = seqlens_k + 1 -
     * seq} rows it keeps. So the graph keeps each row's real tokens packed at the front of the cache
     * (whatever the attention_mask layout): a chunk's leading padding is rotated to its end (ids
     * and positions here; the hidden states back before the output projection), and
     * {@code seqlens_k = real cached tokens + seq - 1}. Trailing padding of a chunk then sits after
     * the real tokens, attended by nothing real, and is overwritten by the next chunk. Padding
     * between real tokens of one chunk cannot be expressed (the ONNX backend refuses it).
     *
     * @return rotated input_ids and position_ids, and the index that rotates rows back
     */
    private String[] rightAlign(String ids, String mask, String positions) {
        String seq = g.op("Shape", List.of(ids), Attr.of("start", 1L), Attr.of("end", 2L));
        String total = g.op("Shape", List.of(mask), Attr.of("start", 1L), Attr.of("end", 2L));
        String past = g.op("Sub", total, seq);
        String newMask = g.op("Slice", mask, past, total, g.int64s(1));
        // First real token of each row's chunk ([batch, 1]; 0 when there is none).
        String shift = g.op("ArgMax", List.of(g.op("Cast", List.of(newMask), Attr.of("to", (long) INT32))),
                Attr.of("axis", 1L), Attr.of("keepdims", 1L));
        String steps = g.op("Unsqueeze", g.op("Range", g.int64s(true, 0), g.op("Squeeze", seq), g.int64s(true, 1)),
                g.int64s(0));
        String forward = g.op("Mod", g.op("Add", steps, shift), seq);
        String back = g.op("Mod", g.op("Sub", g.op("Add", steps, seq), shift), seq);
        Attr axis = Attr.of("axis", 1L);
        String alignedIds = g.op("GatherElements", List.of(ids, forward), axis);
        String alignedPositions = g.op("GatherElements", List.of(positions, forward), axis);

        Attr dropAxis = Attr.of("keepdims", 0L);
        String realPast = g.op("Sub", g.op("ReduceSum", List.of(mask, g.int64s(1)), dropAxis),
                g.op("ReduceSum", List.of(newMask, g.int64s(1)), dropAxis));
        seqlensK = g.op("Cast", List.of(g.op("Add", realPast, g.op("Sub", seq, g.int64s(1)))),
                Attr.of("to", (long) INT32));
        totalLength = g.op("Cast", List.of(g.op("Squeeze", total)), Attr.of("to", (long) INT32));
        return new String[] {alignedIds, alignedPositions, back};
    }

    /** {@code out[b, s] = x[b, index[b, s]]} for x {@code [batch, seq, hidden]}, as one Gather over the flattened rows. */
    private String gatherRows(String x, String index) {
        String shape = g.op("Shape", x);
        String seq = g.op("Shape", List.of(index), Attr.of("start", 1L), Attr.of("end", 2L));
        String batch = g.op("Squeeze", g.op("Shape", List.of(index), Attr.of("start", 0L), Attr.of("end", 1L)));
        String rowStart = g.op("Mul", g.op("Unsqueeze",
                g.op("Range", g.int64s(true, 0), batch, g.int64s(true, 1)), g.int64s(1)), seq);
        String flat = g.op("Reshape", g.op("Add", index, rowStart), g.int64s(-1));
        String rows = g.op("Gather", List.of(g.op("Reshape", x, g.int64s(-1, config.hiddenSize())), flat),
                Attr.of("axis", 0L));
        return g.op("Reshape", rows, shape);
    }

    /** [batch, n, seq, d] to [batch, seq, n * d]. */
    private String fromHeads(String x, int n) {
        String t = g.op("Transpose", List.of(x), Attr.ints("perm", 0, 2, 1, 3));
        return g.op("Reshape", t, g.int64s(0, 0, (long) n * config.headDim()));
    }

    /**
     * StableLM {@code qk_layernorm} on the q and k parts of {@code qkv [batch, seq, (heads + 2 kv) * d]},
     * before the rotation: transformers' StableLmLayerNormPerHead gives every q head and every kv
     * head its own bias-free LayerNorm over head_dim (eps = layer_norm_eps). Here q and k heads are
     * normalised together as {@code [batch, seq, heads + kv, d]} by one unit-scale
     * LayerNormalization (the opset-17 scale must have the normalised shape, {@code [d]}), then one
     * Mul by the stacked {@code [heads + kv, d]} scales.
     *
     * @return q {@code [batch, seq, heads * d]}, k and v {@code [batch, seq, kv * d]}
     */
    private String[] qkNorm(int i, float[] scales, String qkv) {
        int heads = config.numAttentionHeads();
        int kv = config.numKeyValueHeads();
        int d = config.headDim();
        String[] qkAndV = g.node("", "Split", List.of(qkv, g.int64s((heads + kv) * d, kv * d)), 2,
                Attr.of("axis", 2L));
        String perHead = g.op("Reshape", qkAndV[0], g.int64s(0, 0, heads + kv, d));
        if (unitScale == null) {
            float[] unit = new float[d];
            Arrays.fill(unit, 1f);
            unitScale = g.floats("qk_norm.unit_scale", new long[] {d}, unit);
        }
        String normed = g.op("LayerNormalization", List.of(perHead, unitScale), Attr.of("axis", -1L),
                Attr.of("epsilon", (float) config.normEps()));
        String scaled = g.op("Mul", normed, g.floats("layers." + i + ".attn.qk_norm.weight",
                new long[] {heads + kv, d}, scales));
        String flat = g.op("Reshape", scaled, g.int64s(0, 0, (long) (heads + kv) * d));
        String[] qk = g.node("", "Split", List.of(flat, g.int64s(heads * d, kv * d)), 2, Attr.of("axis", 2L));
        return new String[] {qk[0], qk[1], qkAndV[1]};
    }

    /** [batch, seq, n * d] to [batch, n, seq, d]. */
    private String toHeads(String x, int n) {
        String split = g.op("Reshape", x, g.int64s(0, 0, n, config.headDim()));
        return g.op("Transpose", List.of(split), Attr.ints("perm", 0, 2, 1, 3));
    }

    /**
     * Rotary embedding on the first rotary dims of each head, rotate-half layout (safetensors
     * checkpoints pair dim j with j + rotary/2; GGUF interleaves pairs instead):
     * {@code [x1 cos - x2 sin, x2 cos + x1 sin, pass]}.
     */
    private String rope(String x) {
        int d = config.headDim();
        int rotary = config.rope().rotaryDim(d);
        int half = rotary / 2;
        boolean partial = rotary < d;
        String[] parts = g.node("", "Split",
                List.of(x, partial ? g.int64s(half, half, d - rotary) : g.int64s(half, half)), partial ? 3 : 2,
                Attr.of("axis", -1L));
        String x1 = parts[0];
        String x2 = parts[1];
        String r1 = g.op("Sub", g.op("Mul", x1, cos), g.op("Mul", x2, sin));
        String r2 = g.op("Add", g.op("Mul", x2, cos), g.op("Mul", x1, sin));
        List<String> pieces = new ArrayList<>(List.of(r1, r2));
        if (partial) {
            pieces.add(parts[2]);
        }
        return g.op("Concat", pieces, Attr.of("axis", -1L));
    }

    /** com.microsoft.RotaryEmbedding on {@code [batch, seq, n * d]}, rotate-half layout, partial heads passed through. */
    private String fusedRope(String x, int n) {
        return g.node(MS_DOMAIN, "RotaryEmbedding", List.of(x, positions, cos, sin), 1,
                Attr.of("interleaved", 0L), Attr.of("num_heads", (long) n),
                Attr.of("rotary_embedding_dim", (long) config.rope().rotaryDim(config.headDim())))[0];
    }

    private String mlp(int i, ParameterLayout.Layer weights, String x) {
        String p = "layers." + i + ".mlp.";
        int inter = config.intermediateSize();
        int hidden = config.hiddenSize();
        String out;
        if (config.mlpKind() == MlpKind.GATED) {
            // gate and up in one projection, rows stacked [gate; up].
            String gateUp = linear(x, p + "gate_up", read(weights.mlpIn().weight()), read(weights.mlpIn().bias()),
                    2 * inter, hidden, options.precision());
            String[] parts = g.node("", "Split", List.of(gateUp, g.int64s(inter, inter)), 2, Attr.of("axis", -1L));
            out = g.op("Mul", activation(parts[0]), parts[1]);
        } else {
            out = activation(linear(x, p + "fc_in", read(weights.mlpIn().weight()), read(weights.mlpIn().bias()),
                    inter, hidden, options.precision()));
        }
        return linear(out, p + "fc_out", read(weights.mlpOut().weight()), read(weights.mlpOut().bias()),
                hidden, inter, options.precision());
    }

    private String activation(String x) {
        Activation a = config.activation();
        switch (a) {
            case SILU:
                return g.op("Mul", x, g.op("Sigmoid", x));
            case GELU:
                // x / 2 * (1 + erf(x / sqrt 2)): the pattern ONNX Runtime fuses into Gelu.
                String erf = g.op("Erf", g.op("Div", x, g.scalar((float) Math.sqrt(2))));
                return g.op("Mul", g.op("Mul", x, g.op("Add", erf, g.scalar(1f))), g.scalar(0.5f));
            case GELU_TANH:
                String cube = g.op("Mul", g.op("Mul", x, x), x);
                String inner = g.op("Mul", g.op("Add", x, g.op("Mul", cube, g.scalar(Numerics.GELU_TANH_CUBIC))),
                        g.scalar(Numerics.GELU_TANH_SCALE));
                return g.op("Mul", g.op("Mul", x, g.scalar(0.5f)), g.op("Add", g.op("Tanh", inner), g.scalar(1f)));
            default:
                throw new AssertionError(a);
        }
    }

    /**
     * RMSNorm as the Pow/ReduceMean/Sqrt/Div pattern ONNX Runtime fuses; LayerNorm as the opset-17 op
     * (without its optional bias input when the checkpoint has no shift).
     */
    private String norm(String x, String name, ParameterLayout.NormWeights weights) {
        long[] dims = {config.hiddenSize()};
        String w = g.floats(name + ".weight", dims, read(weights.weight()));
        float eps = (float) config.normEps();
        if (config.normKind() == NormKind.LAYER_NORM) {
            float[] bias = read(weights.bias());
            List<String> in = bias == null ? List.of(x, w) : List.of(x, w, g.floats(name + ".bias", dims, bias));
            return g.op("LayerNormalization", in, Attr.of("axis", -1L), Attr.of("epsilon", eps));
        }
        String meanSquare = g.op("ReduceMean", List.of(g.op("Pow", x, g.scalar(2f))), Attr.ints("axes", -1),
                Attr.of("keepdims", 1L));
        String rms = g.op("Sqrt", g.op("Add", meanSquare, g.scalar(eps)));
        return g.op("Mul", g.op("Div", x, rms), w);
    }

    /** The parameter's values, or null for an absent (or absent optional) parameter. */
    private float[] read(Parameter p) {
        return p == null ? null : reader.read(p);
    }

    /** {@code x W^T + b} for a Hugging Face weight {@code [n, k]}, stored at {@code precision}. */
    private String linear(String x, String name, float[] w, float[] bias, int n, int k, Precision precision) {
        return LinearNodes.linear(g, options, x, name, w, bias, n, k, precision);
    }
}
