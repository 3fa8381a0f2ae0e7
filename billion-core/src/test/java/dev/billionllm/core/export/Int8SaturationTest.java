package dev.billionllm.core.export;

import static dev.billionllm.core.export.OnnxGraph.FLOAT;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.billionllm.core.platform.CpuFeatures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One int8 linear layer, exactly as the exporter writes it, run by ONNX Runtime on activations and
 * weights at the ends of their ranges, against the exact integer result computed here.
 *
 * <p>Why: ONNX Runtime quantises the activations to uint8 and, for int8 weights on x86 CPUs without
 * VNNI, adds each pair of uint8 x int8 products into a saturating 16-bit sum ({@code vpmaddubsw}).
 * Activations of 255 against weights of +-127 are the worst case (2 x 255 x 127 = 64,770 > 32,767):
 * on such a CPU full-range int8 loses about half of every dot product, so this test fails there for
 * any encoding that saturates, and passes on VNNI machines for all of them. The legacy {@code s8}
 * encoding is checked to give either the exact result or precisely the saturated one, which shows
 * on an AVX2-only machine that the probe does reach the saturating kernel.
 */
class Int8SaturationTest {

    private static final int K = 64;
    /** Rows of constant weight: the extreme levels and a mixed row; row 5 alternates signs. */
    private static final float[] ROW_VALUES = {1f, -1f, 0.5f, -0.25f, 1f};

    @TempDir
    static Path dir;

    @BeforeAll
    static void printCpu() {
        System.out.println("[cpu] " + CpuFeatures.current().summary() + " (" + CpuFeatures.current().machineClass()
                + ")");
    }

    @ParameterizedTest(name = "{0}, {1} activation rows")
    @CsvSource({"U8, 1", "U8, 16", "S7, 1", "S7, 16", "S8, 1", "S8, 16"})
    void quantisedLinearIsExactAtTheEndsOfTheRanges(Int8Encoding encoding, int rows) throws OrtException {
        int n = ROW_VALUES.length + 1;
        float[] w = new float[n * K];
        for (int r = 0; r < ROW_VALUES.length; r++) {
            java.util.Arrays.fill(w, r * K, (r + 1) * K, ROW_VALUES[r]);
        }
        for (int c = 0; c < K; c++) {
            w[ROW_VALUES.length * K + c] = c % 2 == 0 ? 0.75f : -0.75f;
        }
        // All activations 1.0 in a [0, 1] range: uint8 level 255 with zero point 0, the worst case.
        float[][] x = new float[rows][K];
        for (float[] row : x) {
            java.util.Arrays.fill(row, 1f);
        }
        WeightQuantizer.Int8 q = WeightQuantizer.int8(w, n, K, encoding);
        float[][] y = run(encoding, w, n, x);
        double aScale = 1.0 / 255; // DynamicQuantizeLinear: (max(0, xmax) - min(0, xmin)) / 255
        double worstExact = 0;
        double worstSaturated = 0;
        for (int m = 0; m < rows; m++) {
            for (int r = 0; r < n; r++) {
                long exact = 0;
                long saturated = 0;
                for (int c = 0; c < K; c += 2) {
                    int p = 255 * q.level(r, c, n) + 255 * q.level(r, c + 1, n);
                    exact += p;
                    saturated += Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, p));
                }
                double scale = aScale * q.scales()[r];
                double tolerance = 1e-4 * Math.max(1, Math.abs(exact * scale));
                worstExact = Math.max(worstExact, Math.abs(y[m][r] - exact * scale) / tolerance);
                worstSaturated = Math.max(worstSaturated, Math.abs(y[m][r] - saturated * scale) / tolerance);
            }
        }
        System.out.printf("[int8] %s, %d rows: max error / tolerance vs exact %.3g, vs 16-bit-saturated %.3g%n",
                encoding, rows, worstExact, worstSaturated);
        if (encoding.saturatesWithoutVnni()) {
            assertThat(Math.min(worstExact, worstSaturated))
                    .as("s8 gives the exact or the saturated result, nothing else").isLessThanOrEqualTo(1);
        } else {
            assertThat(worstExact).as(encoding + " must be exact on every CPU (" + CpuFeatures.current().summary() + ")")
                    .isLessThanOrEqualTo(1);
        }
    }

    /** Builds x [rows, K] -> y [rows, n] with the exporter's int8 linear layer and runs it. */
    private static float[][] run(Int8Encoding encoding, float[] w, int n, float[][] x) throws OrtException {
        ExportOptions options = ExportOptions.builder().setPrecision(Precision.INT8).optInt8Encoding(encoding).build();
        byte[] model;
        try (OnnxGraph g = new OnnxGraph(dir.resolve(encoding + "-" + x.length + ".data"), "unused.data")) {
            String in = g.input("x", FLOAT, "rows", K);
            String y = LinearNodes.linear(g, options, in, "probe", w, null, n, K, Precision.INT8);
            g.nodeNamed("", "Identity", List.of(y), List.of("y"));
            g.output("y", FLOAT, "rows", n);
            model = g.encode("int8_probe", Map.of("", OnnxExporter.OPSET, OnnxGraph.MS_DOMAIN, 1L), "test", "1",
                    Map.of());
        }
        OrtEnvironment env = ortEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(model, so);
                OnnxTensor input = OnnxTensor.createTensor(env, x);
                OrtSession.Result result = session.run(Map.of("x", input))) {
            return (float[][]) result.get(0).getValue();
        }
    }

    /** DJL's ONNX Runtime engine first, as OnnxBackend does: it must create the one environment. */
    private static OrtEnvironment ortEnvironment() {
        ai.djl.engine.Engine.getEngine("OnnxRuntime");
        return OrtEnvironment.getEnvironment();
    }
}
