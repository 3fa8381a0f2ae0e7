package dev.billionllm.core.export;

import static dev.billionllm.core.export.OnnxGraph.INT8;
import static dev.billionllm.core.export.OnnxGraph.MS_DOMAIN;
import static dev.billionllm.core.export.OnnxGraph.UINT8;

import dev.billionllm.core.export.OnnxGraph.Attr;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The nodes of one linear layer at each weight precision: fp32 {@code MatMul}, int8
 * {@code DynamicQuantizeMatMul} (weights per {@link Int8Encoding}) and int4 {@code MatMulNBits}.
 * Kept apart from the decoder graph so a test can run one quantised layer on its own against an
 * exact computation (Int8SaturationTest).
 */
final class LinearNodes {

    private LinearNodes() {}

    /**
     * {@code x W^T + b} for a Hugging Face weight {@code [n, k]}, stored at {@code precision}.
     */
    static String linear(OnnxGraph g, ExportOptions options, String x, String name, float[] w, float[] bias, int n,
            int k, Precision precision) {
        String y;
        switch (precision) {
            case FP32: {
                float[] t = new float[w.length];
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < k; c++) {
                        t[c * n + r] = w[r * k + c];
                    }
                }
                y = g.op("MatMul", x, g.floats(name + ".weight", new long[] {k, n}, t));
                break;
            }
            case INT8: {
                WeightQuantizer.Int8 q = WeightQuantizer.int8(w, n, k, options.int8Encoding());
                boolean unsigned = q.encoding() == Int8Encoding.U8;
                String b = g.initializer(name + ".weight_q", unsigned ? UINT8 : INT8, new long[] {k, n},
                        ByteBuffer.wrap(q.values()));
                String s = g.floats(name + ".weight_scale", new long[] {n}, q.scales());
                // uint8 weights with zero point 128 select ONNX Runtime's U8U8 kernel, which cannot
                // saturate (Int8Encoding); "" leaves the optional zero point out (0).
                String zeroPoint = unsigned ? g.uint8Scalar(128) : "";
                List<String> in = new ArrayList<>(List.of(x, b, s, zeroPoint));
                if (bias != null) {
                    in.add(g.floats(name + ".bias", new long[] {n}, bias));
                } else if (zeroPoint.isEmpty()) {
                    in.remove(3);
                }
                return g.node(MS_DOMAIN, "DynamicQuantizeMatMul", in, 1)[0];
            }
            case INT4: {
                int block = options.blockSize();
                WeightQuantizer.Int4 q = WeightQuantizer.int4(w, n, k, block);
                String b = g.initializer(name + ".weight_q4", UINT8, new long[] {n, q.blocks(), block / 2},
                        ByteBuffer.wrap(q.packed()));
                String s = g.floats(name + ".weight_scale", new long[] {(long) n * q.blocks()}, q.scales());
                y = g.node(MS_DOMAIN, "MatMulNBits", List.of(x, b, s), 1, Attr.of("K", (long) k), Attr.of("N", (long) n),
                        Attr.of("bits", 4L), Attr.of("block_size", (long) block),
                        Attr.of("accuracy_level", (long) options.accuracyLevel()))[0];
                break;
            }
            default:
                throw new AssertionError(precision);
        }
        return bias == null ? y : g.op("Add", y, g.floats(name + ".bias", new long[] {n}, bias));
    }
}
