package dev.billionllm.core.export;

/**
 * A llama-style decoder's forward pass in plain double-precision loops, written from transformers'
 * modeling_stablelm.py and modeling_qwen2.py and independent of both backends (and of
 * {@code core.arch}: tensor names are spelled out here): one unpadded row, no cache, positions
 * {@code 0..n-1}. It follows those files' structure:
 * <ul>
 *   <li>StableLmLayerNormPerHead: each query head and each kv head has its own {@code nn.LayerNorm(head_dim,
 *       bias=False)}, applied to q and k after the projections and before the rotary embedding;
 *   <li>Qwen2RMSNorm: {@code x / sqrt(mean(x^2) + eps) * w}; StableLM: LayerNorm with bias;
 *   <li>partial rotary on the first {@code head_dim * partial_rotary_factor} dims, rotate-half layout;
 *   <li>repeat_kv: query head {@code h} reads kv head {@code h / (heads / kv_heads)};
 *   <li>q/k/v projections with biases, o_proj without (both families);
 *   <li>StableLmDecoderLayer: with {@code use_parallel_residual}, {@code x + attn(ln1(x)) + mlp(ln1(x))}
 *       with the one input_layernorm; else {@code h = x + attn(ln1(x)); h + mlp(ln2(h))};
 *   <li>tied embeddings: lm_head is embed_tokens.
 * </ul>
 */
final class ReferenceDecoder {

    private final TinyDecoder m;

    ReferenceDecoder(TinyDecoder model) {
        this.m = model;
    }

    /** Logits {@code [ids.length * vocab]}. */
    float[] logits(int[] ids) {
        int n = ids.length;
        double[][] x = new double[n][];
        float[] embed = m.get("model.embed_tokens.weight");
        for (int t = 0; t < n; t++) {
            x[t] = new double[m.hidden];
            for (int j = 0; j < m.hidden; j++) {
                x[t][j] = embed[ids[t] * m.hidden + j];
            }
        }
        for (int i = 0; i < m.layers; i++) {
            x = layer(i, x);
        }
        float[] out = new float[n * m.vocab];
        for (int t = 0; t < n; t++) {
            double[] normed = norm(x[t], "model.norm");
            double[] row = linear(normed, m.get(m.tied ? "model.embed_tokens.weight" : "lm_head.weight"), null, m.vocab);
            for (int v = 0; v < m.vocab; v++) {
                out[t * m.vocab + v] = (float) row[v];
            }
        }
        return out;
    }

    private double[][] layer(int i, double[][] x) {
        String p = "model.layers." + i + ".";
        int n = x.length;
        double[][] a = new double[n][];
        for (int t = 0; t < n; t++) {
            a[t] = norm(x[t], p + "input_layernorm");
        }
        double[][] attn = attention(p + "self_attn.", a);
        double[][] out = new double[n][m.hidden];
        for (int t = 0; t < n; t++) {
            if (m.parallel) {
                double[] ff = mlp(p + "mlp.", a[t]);
                for (int j = 0; j < m.hidden; j++) {
                    out[t][j] = x[t][j] + attn[t][j] + ff[j];
                }
            } else {
                double[] h = new double[m.hidden];
                for (int j = 0; j < m.hidden; j++) {
                    h[j] = x[t][j] + attn[t][j];
                }
                double[] ff = mlp(p + "mlp.", norm(h, p + "post_attention_layernorm"));
                for (int j = 0; j < m.hidden; j++) {
                    out[t][j] = h[j] + ff[j];
                }
            }
        }
        return out;
    }

    private double[][] attention(String p, double[][] a) {
        int n = a.length;
        int d = m.headDim;
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            q[t] = linear(a[t], m.get(p + "q_proj.weight"), m.get(p + "q_proj.bias"), m.heads * d);
            k[t] = linear(a[t], m.get(p + "k_proj.weight"), m.get(p + "k_proj.bias"), m.kvHeads * d);
            v[t] = linear(a[t], m.get(p + "v_proj.weight"), m.get(p + "v_proj.bias"), m.kvHeads * d);
            if (m.qkNorm) {
                perHeadNorm(q[t], p + "q_layernorm.norms.", m.heads);
                perHeadNorm(k[t], p + "k_layernorm.norms.", m.kvHeads);
            }
            rotate(q[t], m.heads, t);
            rotate(k[t], m.kvHeads, t);
        }
        int group = m.heads / m.kvHeads;
        double[][] context = new double[n][m.heads * d];
        for (int h = 0; h < m.heads; h++) {
            int kvHead = h / group;
            for (int t = 0; t < n; t++) {
                double[] scores = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    double dot = 0;
                    for (int j = 0; j < d; j++) {
                        dot += q[t][h * d + j] * k[s][kvHead * d + j];
                    }
                    scores[s] = dot / Math.sqrt(d);
                    max = Math.max(max, scores[s]);
                }
                double sum = 0;
                for (int s = 0; s <= t; s++) {
                    scores[s] = Math.exp(scores[s] - max);
                    sum += scores[s];
                }
                for (int s = 0; s <= t; s++) {
                    for (int j = 0; j < d; j++) {
                        context[t][h * d + j] += scores[s] / sum * v[s][kvHead * d + j];
                    }
                }
            }
        }
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            out[t] = linear(context[t], m.get(p + "o_proj.weight"), null, m.hidden);
        }
        return out;
    }

    /** Each head's own bias-free LayerNorm over head_dim, in place. */
    private void perHeadNorm(double[] x, String prefix, int heads) {
        for (int h = 0; h < heads; h++) {
            double[] normed = layerNorm(x, h * m.headDim, m.headDim, m.get(prefix + h + ".weight"), 0, null);
            System.arraycopy(normed, 0, x, h * m.headDim, m.headDim);
        }
    }

    /** Rotary embedding at position {@code t} on the first rotary dims of each head, rotate-half pairs (j, j + rot/2). */
    private void rotate(double[] x, int heads, int t) {
        int rotary = (int) (m.headDim * m.partialRotaryFactor);
        int half = rotary / 2;
        for (int h = 0; h < heads; h++) {
            int base = h * m.headDim;
            for (int j = 0; j < half; j++) {
                double invFreq = 1 / Math.pow(m.ropeTheta, 2.0 * j / rotary);
                double cos = Math.cos(t * invFreq);
                double sin = Math.sin(t * invFreq);
                double x1 = x[base + j];
                double x2 = x[base + j + half];
                x[base + j] = x1 * cos - x2 * sin;
                x[base + j + half] = x2 * cos + x1 * sin;
            }
        }
    }

    /** down(silu(gate(x)) * up(x)). */
    private double[] mlp(String p, double[] x) {
        double[] gate = linear(x, m.get(p + "gate_proj.weight"), null, m.intermediate);
        double[] up = linear(x, m.get(p + "up_proj.weight"), null, m.intermediate);
        double[] act = new double[m.intermediate];
        for (int j = 0; j < act.length; j++) {
            act[j] = gate[j] / (1 + Math.exp(-gate[j])) * up[j];
        }
        return linear(act, m.get(p + "down_proj.weight"), null, m.hidden);
    }

    /** The model's norm of kind (RMSNorm or LayerNorm with bias) over the whole vector. */
    private double[] norm(double[] x, String prefix) {
        float[] w = m.get(prefix + ".weight");
        if (!m.rmsNorm) {
            return layerNorm(x, 0, x.length, w, 0, m.get(prefix + ".bias"));
        }
        double meanSquare = 0;
        for (double v : x) {
            meanSquare += v * v / x.length;
        }
        double[] out = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = x[j] / Math.sqrt(meanSquare + m.eps) * w[j];
        }
        return out;
    }

    /** {@code (x - mean) / sqrt(var + eps) * w + b} over {@code x[from .. from + n)} (biased variance, as torch). */
    private double[] layerNorm(double[] x, int from, int n, float[] w, int wFrom, float[] b) {
        double mean = 0;
        for (int j = 0; j < n; j++) {
            mean += x[from + j];
        }
        mean /= n;
        double var = 0;
        for (int j = 0; j < n; j++) {
            var += (x[from + j] - mean) * (x[from + j] - mean);
        }
        var /= n;
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            out[j] = (x[from + j] - mean) / Math.sqrt(var + m.eps) * w[wFrom + j] + (b == null ? 0 : b[j]);
        }
        return out;
    }

    /** {@code W x + b} for a transformers weight {@code [out, in]}. */
    private static double[] linear(double[] x, float[] w, float[] b, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int j = 0; j < in; j++) {
                s += w[o * in + j] * x[j];
            }
            y[o] = s;
        }
        return y;
    }
}
