package dev.billionllm.core.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Round trips and the exact bit layouts ONNX Runtime reads. */
class WeightQuantizerTest {

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @ParameterizedTest
    @EnumSource(Int8Encoding.class)
    void int8IsTransposedWithPerRowScalesAndHalfAStepOfError(Int8Encoding encoding) {
        int n = 5;
        int k = 7;
        float[] w = random(n * k, 1);
        WeightQuantizer.Int8 q = WeightQuantizer.int8(w, n, k, encoding);
        int maxLevel = encoding == Int8Encoding.S7 ? 63 : 127;
        int zeroPoint = encoding == Int8Encoding.U8 ? 128 : 0;
        assertThat(q.values()).hasSize(n * k);
        assertThat(q.scales()).hasSize(n);
        float[] back = WeightQuantizer.dequantize(q, n, k);
        for (int r = 0; r < n; r++) {
            float max = 0;
            for (int c = 0; c < k; c++) {
                max = Math.max(max, Math.abs(w[r * k + c]));
            }
            assertThat(q.scales()[r]).isEqualTo(max / maxLevel);
            for (int c = 0; c < k; c++) {
                assertThat(Math.abs(back[r * k + c] - w[r * k + c])).isLessThanOrEqualTo(q.scales()[r] / 2 * 1.0001f);
                // B is [k, n] for DynamicQuantizeMatMul.
                int level = Math.round(w[r * k + c] / q.scales()[r]);
                assertThat(Math.abs(level)).isLessThanOrEqualTo(maxLevel);
                assertThat(q.values()[c * n + r]).isEqualTo((byte) (level + zeroPoint));
            }
        }
    }

    @Test
    void int4PacksLowNibbleFirstAndMapsTheExtremeToLevelZero() {
        // One row, one block of 16: values -8..7 times 0.5, the extreme (-4) first.
        float[] w = new float[16];
        for (int j = 0; j < 16; j++) {
            w[j] = (j - 8) * 0.5f;
        }
        WeightQuantizer.Int4 q = WeightQuantizer.int4(w, 1, 16, 16);
        assertThat(q.blocks()).isEqualTo(1);
        assertThat(q.scales()).containsExactly(0.5f); // -4 / -8
        // Level = value / 0.5 + 8 = j: bytes pack (j even) low, (j odd) high.
        for (int b = 0; b < 8; b++) {
            assertThat(q.packed()[b] & 0xFF).isEqualTo((2 * b) | ((2 * b + 1) << 4));
        }
        assertThat(WeightQuantizer.dequantize(q, 1, 16, 16)).containsExactly(w);
    }

    @Test
    void int4PadsTheLastBlockWithZerosAndBoundsTheError() {
        int n = 3;
        int k = 40; // two blocks of 32, the second padded
        float[] w = random(n * k, 2);
        WeightQuantizer.Int4 q = WeightQuantizer.int4(w, n, k, 32);
        assertThat(q.blocks()).isEqualTo(2);
        assertThat(q.packed()).hasSize(n * 2 * 16);
        float[] back = WeightQuantizer.dequantize(q, n, k, 32);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                float scale = Math.abs(q.scales()[r * 2 + c / 32]);
                assertThat(Math.abs(back[r * k + c] - w[r * k + c])).isLessThanOrEqualTo(scale / 2 * 1.0001f);
            }
            // Padding (c = 40..63 of the second block) holds level 8, which is zero.
            int base = (r * 2 + 1) * 16;
            for (int j = 8; j < 32; j++) {
                int x = q.packed()[base + j / 2] & 0xFF;
                assertThat((j & 1) == 0 ? x & 0xF : x >>> 4).isEqualTo(8);
            }
        }
    }

    @Test
    void zeroRowsQuantizeToZero() {
        float[] w = new float[32];
        assertThat(WeightQuantizer.dequantize(WeightQuantizer.int4(w, 1, 32, 32), 1, 32, 32)).containsOnly(0f);
        assertThat(WeightQuantizer.dequantize(WeightQuantizer.int8(w, 2, 16), 2, 16)).containsOnly(0f);
    }

    @Test
    void badShapesAndBlockSizesFail() {
        assertThatThrownBy(() -> WeightQuantizer.int8(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 2 x 3");
        assertThatThrownBy(() -> WeightQuantizer.int4(new float[48], 1, 48, 24))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
    }
}
