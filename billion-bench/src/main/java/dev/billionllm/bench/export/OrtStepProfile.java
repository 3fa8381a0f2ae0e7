package dev.billionllm.bench.export;

import ai.djl.engine.Engine;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Times one decoder step of an exported {@code model.onnx} on a raw ONNX Runtime session (no
 * backend, no cache bookkeeping) and, with {@code --profile}, prints the kernel time per operator
 * type: where the time goes. {@code --no-spin} turns off the intra-op threads' spin-waiting, which
 * matters on a machine shared with other work.
 *
 * <pre>
 * java -cp ... dev.billionllm.bench.export.OrtStepProfile DIR/model.onnx [--threads 2] [--seq 1]
 *     [--past 64] [--reps 20] [--no-spin] [--profile] [--top 12] [--config KEY=VALUE ...]
 * </pre>
 */
public final class OrtStepProfile {

    private OrtStepProfile() {}

    public static void main(String[] args) throws OrtException, IOException {
        String model = args[0];
        int threads = 2;
        int seq = 1;
        int past = 64;
        int reps = 20;
        boolean spin = true;
        boolean profile = false;
        int top = 12;
        List<String> config = new ArrayList<>();
        for (int a = 1; a < args.length; a++) {
            switch (args[a]) {
                case "--threads" -> threads = Integer.parseInt(args[++a]);
                case "--seq" -> seq = Integer.parseInt(args[++a]);
                case "--past" -> past = Integer.parseInt(args[++a]);
                case "--reps" -> reps = Integer.parseInt(args[++a]);
                case "--no-spin" -> spin = false;
                case "--profile" -> profile = true;
                case "--top" -> top = Integer.parseInt(args[++a]);
                case "--config" -> config.add(args[++a]);
                default -> throw new IllegalArgumentException("unknown option " + args[a]);
            }
        }
        Engine.getEngine("OnnxRuntime"); // loads the native library the way the backend does
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path profilePrefix = Files.createTempDirectory("ort-profile").resolve("step");
        try (OrtSession.SessionOptions options = sessionOptions(threads, spin)) {
            for (String entry : config) { // any ONNX Runtime session config entry, to try it without a rebuild
                int eq = entry.indexOf('=');
                options.addConfigEntry(entry.substring(0, eq), entry.substring(eq + 1));
            }
            if (profile) {
                options.enableProfiling(profilePrefix.toString());
            }
            try (OrtSession session = env.createSession(model, options)) {
                double[] ms = new double[reps];
                for (int r = 0; r < reps + 2; r++) {
                    Map<String, OnnxTensor> inputs = inputs(env, session, seq, past);
                    long t = System.nanoTime();
                    try (OrtSession.Result ignored = session.run(inputs)) {
                        if (r >= 2) {
                            ms[r - 2] = (System.nanoTime() - t) / 1e6;
                        }
                    } finally {
                        inputs.values().forEach(OnnxTensor::close);
                    }
                }
                Arrays.sort(ms);
                double median = ms[reps / 2];
                System.out.printf("seq %d past %d threads %d spin %s: median %.1f ms/step, %.1f tokens/s "
                        + "(fastest %.1f ms)%n", seq, past, threads, spin, median, seq * 1000 / median, ms[0]);
                if (profile) {
                    printProfile(Path.of(session.endProfiling()), reps + 2, top);
                }
            }
        }
    }

    /** A raw session's options: {@code threads} intra-op threads, every graph optimisation, spinning or not. */
    public static OrtSession.SessionOptions sessionOptions(int threads, boolean spin) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (!spin) {
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
        }
        return options;
    }

    private static Map<String, OnnxTensor> inputs(OrtEnvironment env, OrtSession session, int seq, int past)
            throws OrtException {
        Map<String, OnnxTensor> in = pastInputs(env, session, past);
        tokenInputs(env, in, past, seq);
        return in;
    }

    /** Zero-filled {@code past_key_values.*} of {@code past} positions for every cache input of {@code session}. */
    public static Map<String, OnnxTensor> pastInputs(OrtEnvironment env, OrtSession session, int past)
            throws OrtException {
        Map<String, OnnxTensor> in = new HashMap<>();
        for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
            if (e.getKey().startsWith("past_key_values.")) {
                long[] shape = ((TensorInfo) e.getValue().getInfo()).getShape(); // [batch, kv, past, d]
                long[] dims = {1, shape[1], past, shape[3]};
                in.put(e.getKey(), OnnxTensor.createTensor(env,
                        FloatBuffer.allocate((int) (dims[1] * past * dims[3])), dims));
            }
        }
        return in;
    }

    /**
     * Puts one row's {@code input_ids}, {@code attention_mask} (all real) and {@code position_ids}
     * for {@code seq} new tokens after {@code past} cached ones into {@code in}; returns them, for
     * the caller to close.
     */
    public static List<OnnxTensor> tokenInputs(OrtEnvironment env, Map<String, OnnxTensor> in, int past, int seq)
            throws OrtException {
        long[][] ids = new long[1][seq];
        long[][] positions = new long[1][seq];
        for (int j = 0; j < seq; j++) {
            ids[0][j] = 5 + j;
            positions[0][j] = past + j;
        }
        long[][] mask = new long[1][past + seq];
        Arrays.fill(mask[0], 1);
        List<OnnxTensor> made = List.of(OnnxTensor.createTensor(env, ids), OnnxTensor.createTensor(env, mask),
                OnnxTensor.createTensor(env, positions));
        in.put("input_ids", made.get(0));
        in.put("attention_mask", made.get(1));
        in.put("position_ids", made.get(2));
        return made;
    }

    /** The quantised linear-layer kernels: what bounds a decode step once the graph is lean. */
    private static final Set<String> LINEAR_KERNELS = Set.of("MatMulNBits", "DynamicQuantizeMatMul");

    /**
     * Kernel time per operator type, per step (the profile covers {@code runs} steps), then what
     * the quantised linear layers alone cost: the step rate if every other operator were free,
     * and the weight bytes they stream per step. ONNX Runtime prepacks the weights, so the
     * profile's {@code parameter_size} counts only the scales; the packed weight bytes are
     * {@code K * N * bits / 8} from the node's input and output shapes.
     */
    private static void printProfile(Path file, int runs, int top) throws IOException {
        Map<String, double[]> byOp = new LinkedHashMap<>();
        double total = 0;
        double linearUs = 0;
        double linearBytes = 0;
        for (JsonElement e : JsonParser.parseString(Files.readString(file)).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            if (!o.has("cat") || !o.get("cat").getAsString().equals("Node")
                    || !o.get("name").getAsString().endsWith("_kernel_time")) {
                continue;
            }
            JsonObject args = o.getAsJsonObject("args");
            String op = args.get("op_name").getAsString();
            double us = o.get("dur").getAsDouble();
            double[] acc = byOp.computeIfAbsent(op, k -> new double[2]);
            acc[0] += us;
            acc[1]++;
            total += us;
            if (LINEAR_KERNELS.contains(op)) {
                linearUs += us;
                long k = lastDim(args.getAsJsonArray("input_type_shape").get(0));
                long n = lastDim(args.getAsJsonArray("output_type_shape").get(0));
                double bytesPerWeight = op.equals("MatMulNBits") ? 0.5 : 1;
                linearBytes += k * n * bytesPerWeight + args.get("parameter_size").getAsLong();
            }
        }
        double sum = total;
        System.out.printf("kernel time by operator, per step (mean of %d steps; %.1f ms in all):%n", runs,
                total / 1000 / runs);
        byOp.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[0], x.getValue()[0])).limit(top)
                .forEach(x -> System.out.printf("  %-32s %8.2f ms %5d calls %5.1f%%%n", x.getKey(),
                        x.getValue()[0] / 1000 / runs, (long) x.getValue()[1] / runs, 100 * x.getValue()[0] / sum));
        if (linearUs > 0) {
            double ms = linearUs / 1000 / runs;
            double mb = linearBytes / runs / 1e6;
            System.out.printf("quantised linear layers: %.1f ms/step -> at most %.1f steps/s if every other "
                    + "operator cost nothing; %.0f MB of weights per step = %.1f GB/s%n", ms, 1000 / ms, mb,
                    mb / ms);
        }
        Files.deleteIfExists(file);
    }

    /** The last dimension of a profile shape entry such as {@code {"float": [1, 1, 2048]}}. */
    private static long lastDim(JsonElement typeShape) {
        JsonArray dims = typeShape.getAsJsonObject().entrySet().iterator().next().getValue().getAsJsonArray();
        return dims.get(dims.size() - 1).getAsLong();
    }
}
