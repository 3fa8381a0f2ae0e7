package dev.billionllm.core.internal.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.billionllm.core.config.Activation;
import dev.billionllm.core.config.MlpKind;
import dev.billionllm.core.config.RopeConfig;
import dev.billionllm.core.config.RopeType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Block features no fixture exercises (linear rope, qk-norm, tanh GELU), checked against plain
 * Java arithmetic written from transformers' definitions.
 */
class BlocksTest {

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void loadPassesEveryProjectionThroughTheHook() {
        java.nio.file.Path dir = dev.billionllm.core.testing.Fixtures.dir("tiny-tinyllama");
        java.util.List<String> roles = new java.util.ArrayList<>();
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
                dev.billionllm.core.io.safetensors.SafetensorsSource weights =
                        dev.billionllm.core.io.safetensors.Safetensors.open(dir)) {
            Transformer.load(dev.billionllm.core.config.ModelConfigParser.parse(dir),
                    WeightReader.of(weights, dir.toString()), m, (role, base) -> {
                        roles.add(role + " " + base.outFeatures() + "x" + base.inFeatures());
                        return base;
                    });
        }
        // 4 heads / 2 kv of 16 dims: qkv is 64 + 32 + 32 wide; gated MLP [gate | up] is 2 x 176.
        assertThat(roles).containsExactly("layers.0.qkv 128x64", "layers.0.attention_output 64x64",
                "layers.0.mlp_up 352x64", "layers.0.mlp_down 64x176", "layers.1.qkv 128x64",
                "layers.1.attention_output 64x64", "layers.1.mlp_up 352x64", "layers.1.mlp_down 64x176",
                "lm_head 768x64");
    }

    @Test
    void linearRopeDividesFrequenciesByTheFactor() {
        float[] plain = dev.billionllm.core.arch.RopeSchedule.inverseFrequencies(RopeConfig.simple(10000), 16);
        float[] linear = dev.billionllm.core.arch.RopeSchedule.inverseFrequencies(
                new RopeConfig(RopeType.LINEAR, 10000, 1, 4, 1, 1, 0), 16);
        for (int i = 0; i < plain.length; i++) {
            assertThat(linear[i]).isCloseTo(plain[i] / 4, within(1e-9f));
        }
    }

    @Test
    void partialRotationMatchesRotateHalfAndKeepsThePassThroughDims() {
        int headDim = 8;
        // Rotate 4 of 8 dims: pairs (0, 2) and (1, 3); dims 4..7 pass through.
        RotaryEmbedding rope = new RotaryEmbedding(new RopeConfig(RopeType.DEFAULT, 100, 0.5, 1, 1, 1, 0), headDim);
        float[] x = random(headDim, 1);
        int pos = 3;
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            NDList cs = rope.cosSin(new int[][] {{pos}}, m);
            NDArray out = RotaryEmbedding.apply(m.create(x, new Shape(1, 1, 1, headDim)), cs.get(0), cs.get(1),
                    rope.rotateHalfMatrix(m));
            float[] y = out.toFloatArray();
            for (int i = 0; i < 2; i++) {
                double f = 1 / Math.pow(100, 2.0 * i / 4);
                double c = Math.cos(pos * f);
                double s = Math.sin(pos * f);
                assertThat((double) y[i]).isCloseTo(x[i] * c - x[i + 2] * s, within(1e-5));
                assertThat((double) y[i + 2]).isCloseTo(x[i + 2] * c + x[i] * s, within(1e-5));
            }
            for (int i = 4; i < headDim; i++) {
                assertThat(y[i]).isEqualTo(x[i]);
            }
        }
    }

    @Test
    void perHeadLayerNormNormalisesEachHeadWithItsOwnWeights() {
        int heads = 3;
        int d = 4;
        float[] x = random(heads * 2 * d, 2); // [1, heads, seq 2, d]
        float[] w = random(heads * d, 3);
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            Norm norm = new Norm.PerHeadLayerNorm(m.create(w, new Shape(heads, d)), 1e-5);
            float[] y = norm.apply(m.create(x, new Shape(1, heads, 2, d))).toFloatArray();
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < 2; t++) {
                    int o = (h * 2 + t) * d;
                    double mean = 0;
                    for (int i = 0; i < d; i++) {
                        mean += x[o + i] / (double) d;
                    }
                    double var = 0;
                    for (int i = 0; i < d; i++) {
                        var += (x[o + i] - mean) * (x[o + i] - mean) / d;
                    }
                    for (int i = 0; i < d; i++) {
                        double expected = (x[o + i] - mean) / Math.sqrt(var + 1e-5) * w[h * d + i];
                        assertThat((double) y[o + i]).isCloseTo(expected, within(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void plainMlpWithTanhGelu() {
        int hidden = 3;
        int inter = 5;
        float[] x = random(hidden, 4);
        float[] up = random(inter * hidden, 5);
        float[] down = random(hidden * inter, 6);
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            Mlp mlp = new Mlp(MlpKind.PLAIN, Activation.GELU_TANH,
                    Linear.of(m.create(up, new Shape(inter, hidden)), null),
                    Linear.of(m.create(down, new Shape(hidden, inter)), null), m);
            float[] y = mlp.forward(m.create(x, new Shape(1, 1, hidden))).toFloatArray();
            double[] a = new double[inter];
            for (int j = 0; j < inter; j++) {
                double u = 0;
                for (int i = 0; i < hidden; i++) {
                    u += up[j * hidden + i] * x[i];
                }
                a[j] = 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
            }
            for (int i = 0; i < hidden; i++) {
                double expected = 0;
                for (int j = 0; j < inter; j++) {
                    expected += down[i * inter + j] * a[j];
                }
                assertThat((double) y[i]).isCloseTo(expected, within(1e-5));
            }
        }
    }
}
