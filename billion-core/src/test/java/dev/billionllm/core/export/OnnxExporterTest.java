package dev.billionllm.core.export;

import dev.billionllm.core.testing.Greedy;
import dev.billionllm.core.testing.LogitDiff;
import static dev.billionllm.core.testing.LogitDiff.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.backend.Backends;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.config.ModelConfigParser;
import dev.billionllm.core.io.safetensors.Safetensors;
import dev.billionllm.core.io.safetensors.SafetensorsSource;
import dev.billionllm.core.io.safetensors.TensorSource;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import dev.billionllm.core.platform.CpuFeatures;
import dev.billionllm.core.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exports each family's tiny fixture and runs it through the ONNX Runtime backend against the
 * transformers goldens: fp32 must be exact (1e-4), int8 and int4 are measured and bounded loosely.
 */
class OnnxExporterTest {

    private static final String[] FIXTURES = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"};
    private static final int NEW_TOKENS = 24;

    @TempDir
    static Path exports;

    private static final Map<String, CausalLM> MODELS = new HashMap<>();

    static Stream<String> fixtures() {
        return Arrays.stream(FIXTURES);
    }

    static Stream<Arguments> quantized() {
        return fixtures().flatMap(f -> Stream.of(Arguments.of(f, Precision.INT8, Int8Encoding.U8),
                Arguments.of(f, Precision.INT8, Int8Encoding.S7), Arguments.of(f, Precision.INT8, Int8Encoding.S8),
                Arguments.of(f, Precision.INT4, Int8Encoding.U8)));
    }

    static synchronized CausalLM model(String fixture, ExportOptions options) {
        String key = fixture + "-" + options.precision() + "-" + options.blockSize() + "-" + options.fusedRotary()
                + "-" + options.fusedAttention() + "-" + options.skipNorm() + "-" + options.int8Encoding();
        return MODELS.computeIfAbsent(key, k -> {
            Path dst = exports.resolve(k);
            OnnxExporter.export(Fixtures.dir(fixture), dst, options);
            return Backends.get("onnxruntime").load(dst, ModelConfigParser.parse(dst), LoadOptions.defaults());
        });
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(CausalLM::close);
        MODELS.clear();
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fp32PrefillLogitsMatchGoldens(String fixture) throws IOException {
        CausalLM lm = model(fixture, ExportOptions.builder().setPrecision(Precision.FP32).build());
        Goldens g = new Goldens(fixture);
        double worst = worstPrefillError(lm, g);
        System.out.printf("[export] %s fp32: prefill max abs logit error %.3g%n", fixture, worst);
        assertThat(worst).isLessThanOrEqualTo(1e-4);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fp32WithStandardRotaryOperatorsMatchesGoldensToo(String fixture) throws IOException {
        CausalLM lm = model(fixture, ExportOptions.builder().setPrecision(Precision.FP32).optFusedRotary(false).build());
        Goldens g = new Goldens(fixture);
        double worst = worstPrefillError(lm, g);
        System.out.printf("[export] %s fp32 standard-op rotary: prefill max abs logit error %.3g%n", fixture, worst);
        assertThat(worst).isLessThanOrEqualTo(1e-4);
        int[] prompt = g.ints("prompt0.input_ids");
        assertThat(Greedy.decode(lm, new int[][] {prompt}, new int[][] {ones(prompt.length)}, NEW_TOKENS)[0]).containsExactly(g.greedy(0));
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fp32GreedyDecodingWithCacheMatchesGoldens(String fixture) throws IOException {
        CausalLM lm = model(fixture, ExportOptions.builder().setPrecision(Precision.FP32).build());
        Goldens g = new Goldens(fixture);
        for (int p = 0; p < g.prompts(); p++) {
            int[] prompt = g.ints("prompt" + p + ".input_ids");
            int[][] out = Greedy.decode(lm, new int[][] {prompt}, new int[][] {ones(prompt.length)}, NEW_TOKENS);
            assertThat(out[0]).as("%s prompt %d", fixture, p).containsExactly(g.greedy(p));
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fp32LeftPaddedBatchMatchesGoldens(String fixture) throws IOException {
        checkLeftPaddedBatch(model(fixture, ExportOptions.builder().setPrecision(Precision.FP32).build()), fixture);
    }

    /** The golden left-padded batch: logits at every real position, then the greedy rows. */
    static void checkLeftPaddedBatch(CausalLM lm, String fixture) throws IOException {
        Goldens g = new Goldens(fixture);
        int[][] ids = g.rows("batch.input_ids");
        int[][] mask = g.rows("batch.attention_mask");
        float[] expected = g.floats("batch.logits");
        int seq = ids[0].length;
        int vocab = lm.config().vocabSize();
        double worst;
        try (KvCache cache = lm.newCache(ids.length, seq)) {
            Logits logits = lm.forward(TokenBatch.of(ids, mask), cache, LogitsMode.ALL);
            worst = LogitDiff.maxAbsAtRealPositions(logits, expected, mask, vocab);
        }
        assertThat(worst).isLessThanOrEqualTo(1e-4);
        int[][] out = Greedy.decode(lm, ids, mask, NEW_TOKENS);
        JsonArray rows = g.json.getAsJsonObject("batch_generation").getAsJsonArray("new_ids");
        for (int b = 0; b < rows.size(); b++) {
            assertThat(out[b]).as("%s batch row %d", fixture, b).containsExactly(Goldens.ints(rows.get(b).getAsJsonArray()));
        }
    }

    @ParameterizedTest
    @MethodSource("quantized")
    void quantizedExportsStayCloseToGoldens(String fixture, Precision precision, Int8Encoding encoding)
            throws IOException {
        CausalLM lm = model(fixture, ExportOptions.builder().setPrecision(precision).optInt8Encoding(encoding).build());
        Goldens g = new Goldens(fixture);
        double worst = 0;
        double range = 0;
        int agree = 0;
        int total = 0;
        for (int p = 0; p < g.prompts(); p++) {
            worst = Math.max(worst, prefillError(lm, g, p));
            for (float v : g.floats("prompt" + p + ".logits")) {
                range = Math.max(range, Math.abs(v));
            }
            int[] prompt = g.ints("prompt" + p + ".input_ids");
            int[] out = Greedy.decode(lm, new int[][] {prompt}, new int[][] {ones(prompt.length)}, NEW_TOKENS)[0];
            int[] expected = g.greedy(p);
            int same = 0;
            while (same < NEW_TOKENS && out[same] == expected[same]) {
                same++;
            }
            agree += same;
            total += NEW_TOKENS;
        }
        String name = precision + (precision == Precision.INT8 ? " " + encoding.id() : "");
        System.out.printf("[export] %s %s: prefill max abs logit error %.3g (largest golden |logit| %.3g); "
                + "greedy tokens equal to the goldens before the first difference: %d of %d (%s)%n",
                fixture, name, worst, range, agree, total, CpuFeatures.current().machineClass());
        if (precision == Precision.INT8 && encoding.saturatesWithoutVnni()) {
            return; // measured only: wrong on CPUs without VNNI by design (Int8SaturationTest)
        }
        // Loose bounds: quantisation noise, not a broken graph (which gives errors near the logit range).
        // int8 u8 is 0.09-0.32 and s7 0.14-0.37 on every CPU; saturating kernels gave 1.6-2.6.
        assertThat(worst).isLessThan(range * (precision == Precision.INT8 ? 0.08 : 0.5));
        assertThat(agree).isGreaterThan(0);
    }

    /** The largest prefill error over all the fixture's prompts. */
    static double worstPrefillError(CausalLM lm, Goldens g) {
        double worst = 0;
        for (int p = 0; p < g.prompts(); p++) {
            worst = Math.max(worst, prefillError(lm, g, p));
        }
        return worst;
    }

    static double prefillError(CausalLM lm, Goldens g, int p) {
        int[] ids = g.ints("prompt" + p + ".input_ids");
        float[] expected = g.floats("prompt" + p + ".logits");
        try (KvCache cache = lm.newCache(1, ids.length)) {
            Logits logits = lm.forward(TokenBatch.of(ids), cache, LogitsMode.ALL);
            return maxAbs(logits.values(), 0, expected, 0, expected.length);
        }
    }


    static int[] ones(int n) {
        int[] m = new int[n];
        Arrays.fill(m, 1);
        return m;
    }

    /** golden.json and golden.safetensors of one fixture. */
    static final class Goldens {
        final JsonObject json;
        private final Path tensors;

        Goldens(String fixture) {
            Path dir = Fixtures.dir(fixture);
            this.json = ModelConfigParser.readJson(dir.resolve("golden.json"));
            this.tensors = dir.resolve("golden.safetensors");
        }

        int prompts() {
            return json.getAsJsonArray("prompts").size();
        }

        int[] greedy(int p) {
            return ints(json.getAsJsonArray("generation").get(p).getAsJsonObject().getAsJsonArray("greedy_new_ids"));
        }

        float[] floats(String name) {
            try (TensorSource s = Safetensors.open(tensors)) {
                return s.floats(name);
            }
        }

        int[] ints(String name) {
            return Arrays.stream(rows(name)).flatMapToInt(Arrays::stream).toArray();
        }

        int[][] rows(String name) {
            try (SafetensorsSource s = Safetensors.open(tensors)) {
                long[] shape = s.info(name).shape();
                int[] v = s.ints(name);
                int cols = (int) shape[shape.length - 1];
                int[][] out = new int[v.length / cols][cols];
                for (int i = 0; i < v.length; i++) {
                    out[i / cols][i % cols] = v[i];
                }
                return out;
            }
        }

        static int[] ints(JsonArray a) {
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.get(i).getAsInt();
            }
            return out;
        }
    }
}
