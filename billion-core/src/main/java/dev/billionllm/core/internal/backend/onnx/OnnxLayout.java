package dev.billionllm.core.internal.backend.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.config.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The input and output names, element types and KV shapes of an exported decoder, read from the
 * session's metadata and checked against the Optimum / transformers.js layout:
 *
 * <pre>
 * inputs   input_ids            [batch, seq]            int64 (or int32)
 *          attention_mask       [batch, past + seq]     int64 (or int32)
 *          position_ids         [batch, seq]            optional
 *          past_key_values.{i}.key|value  [batch, kv_heads, past, head_dim]  fp32 or fp16
 *          use_cache_branch     [1] bool                optional (Optimum merged decoders)
 * outputs  logits               [batch, seq, vocab]     fp32 or fp16
 *          present.{i}.key|value [batch, kv_heads, past + seq, head_dim]
 * </pre>
 *
 * @param layers decoder layers ({@code i} runs over {@code 0..layers-1})
 * @param idsType element type of {@code input_ids}
 * @param maskType element type of {@code attention_mask}
 * @param positionsType element type of {@code position_ids}, or null when the model has no such input
 * @param hasCacheBranch whether the model takes {@code use_cache_branch}
 * @param kvType element type of the pasts and presents (FLOAT or FLOAT16)
 * @param kvHeads key/value heads
 * @param headDim size of one head
 */
record OnnxLayout(
        int layers,
        OnnxJavaType idsType,
        OnnxJavaType maskType,
        OnnxJavaType positionsType,
        boolean hasCacheBranch,
        OnnxJavaType kvType,
        int kvHeads,
        int headDim) {

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String POSITION_IDS = "position_ids";
    static final String USE_CACHE_BRANCH = "use_cache_branch";
    static final String LOGITS = "logits";

    static String pastKey(int layer) {
        return "past_key_values." + layer + ".key";
    }

    static String pastValue(int layer) {
        return "past_key_values." + layer + ".value";
    }

    static String presentKey(int layer) {
        return "present." + layer + ".key";
    }

    static String presentValue(int layer) {
        return "present." + layer + ".value";
    }

    /** Bytes of one KV element. */
    int kvElementBytes() {
        return kvType == OnnxJavaType.FLOAT ? 4 : 2;
    }

    /**
     * Reads and checks the layout.
     *
     * @param file the ONNX file, for messages
     * @param config config.json of the folder, whose layer count, kv heads and head size the
     *     model must agree with
     * @throws UnsupportedModelException listing every missing or unexpected name, with what was
     *     expected and what the file holds
     */
    static OnnxLayout read(Path file, ModelConfig config, Map<String, NodeInfo> inputs,
            Map<String, NodeInfo> outputs) {
        int layers = config.numHiddenLayers();
        Set<String> required = new LinkedHashSet<>(List.of(INPUT_IDS, ATTENTION_MASK));
        Set<String> requiredOutputs = new LinkedHashSet<>(List.of(LOGITS));
        for (int i = 0; i < layers; i++) {
            required.add(pastKey(i));
            required.add(pastValue(i));
            requiredOutputs.add(presentKey(i));
            requiredOutputs.add(presentValue(i));
        }
        Set<String> optional = Set.of(POSITION_IDS, USE_CACHE_BRANCH);

        List<String> problems = new ArrayList<>();
        List<String> missingIn = required.stream().filter(n -> !inputs.containsKey(n)).toList();
        List<String> missingOut = requiredOutputs.stream().filter(n -> !outputs.containsKey(n)).toList();
        // An input we don't know has no value we could feed; outputs we don't use are harmless.
        List<String> unexpectedIn = inputs.keySet().stream()
                .filter(n -> !required.contains(n) && !optional.contains(n)).sorted().toList();
        if (!missingIn.isEmpty()) {
            problems.add("missing inputs " + missingIn);
        }
        if (!missingOut.isEmpty()) {
            problems.add("missing outputs " + missingOut);
        }
        if (!unexpectedIn.isEmpty()) {
            problems.add("unexpected inputs " + unexpectedIn);
        }
        if (!problems.isEmpty()) {
            throw new UnsupportedModelException(file + " does not follow the decoder layout billion-llm runs "
                    + "(Optimum / transformers.js export with KV cache): " + String.join("; ", problems)
                    + ". Expected inputs: input_ids, attention_mask, optional position_ids, "
                    + "past_key_values.{0.." + (layers - 1) + "}.key|value, optional use_cache_branch; "
                    + "expected outputs: logits, present.{0.." + (layers - 1) + "}.key|value (" + layers
                    + " layers, from num_hidden_layers in config.json). Found inputs: "
                    + describe(inputs) + "; found outputs: " + describe(outputs)
                    + ". Re-export with `optimum-cli export onnx --task text-generation-with-past`.");
        }

        OnnxJavaType ids = type(file, inputs, INPUT_IDS, OnnxJavaType.INT64, OnnxJavaType.INT32);
        OnnxJavaType mask = type(file, inputs, ATTENTION_MASK, OnnxJavaType.INT64, OnnxJavaType.INT32);
        OnnxJavaType positions = inputs.containsKey(POSITION_IDS)
                ? type(file, inputs, POSITION_IDS, OnnxJavaType.INT64, OnnxJavaType.INT32) : null;
        if (inputs.containsKey(USE_CACHE_BRANCH)) {
            type(file, inputs, USE_CACHE_BRANCH, OnnxJavaType.BOOL);
        }
        type(file, outputs, LOGITS, OnnxJavaType.FLOAT, OnnxJavaType.FLOAT16);
        long[] logitsShape = tensor(file, outputs, LOGITS).getShape();
        long vocab = logitsShape[logitsShape.length - 1];
        if (vocab > 0 && vocab != config.vocabSize()) {
            throw new UnsupportedModelException(file + ": output logits is " + vocab
                    + " wide but config.json has vocab_size " + config.vocabSize());
        }

        OnnxJavaType kv = type(file, inputs, pastKey(0), OnnxJavaType.FLOAT, OnnxJavaType.FLOAT16);
        for (int i = 0; i < layers; i++) {
            for (String name : List.of(pastKey(i), pastValue(i))) {
                checkKv(file, inputs, name, kv, config);
            }
            for (String name : List.of(presentKey(i), presentValue(i))) {
                checkKv(file, outputs, name, kv, config);
            }
        }
        return new OnnxLayout(layers, ids, mask, positions, inputs.containsKey(USE_CACHE_BRANCH), kv,
                config.numKeyValueHeads(), config.headDim());
    }

    /** A KV tensor must be rank 4 of the KV type, and fixed dimensions must agree with config.json. */
    private static void checkKv(Path file, Map<String, NodeInfo> infos, String name, OnnxJavaType kv,
            ModelConfig config) {
        type(file, infos, name, kv);
        long[] shape = tensor(file, infos, name).getShape();
        if (shape.length != 4) {
            throw new UnsupportedModelException(file + ": " + name + " has shape " + Arrays.toString(shape)
                    + "; expected rank 4 [batch, kv_heads, positions, head_dim]");
        }
        // Negative dimensions are symbolic ("batch_size", "past_sequence_length").
        if (shape[1] > 0 && shape[1] != config.numKeyValueHeads()) {
            throw new UnsupportedModelException(file + ": " + name + " has " + shape[1]
                    + " kv heads (dimension 1) but config.json has num_key_value_heads "
                    + config.numKeyValueHeads());
        }
        if (shape[3] > 0 && shape[3] != config.headDim()) {
            throw new UnsupportedModelException(file + ": " + name + " has head size " + shape[3]
                    + " (dimension 3) but config.json implies head_dim " + config.headDim());
        }
    }

    private static OnnxJavaType type(Path file, Map<String, NodeInfo> infos, String name,
            OnnxJavaType... allowed) {
        OnnxJavaType t = tensor(file, infos, name).type;
        if (!Arrays.asList(allowed).contains(t)) {
            throw new UnsupportedModelException(file + ": " + name + " has element type " + t + "; expected "
                    + Arrays.stream(allowed).map(Enum::name).collect(Collectors.joining(" or ")));
        }
        return t;
    }

    private static TensorInfo tensor(Path file, Map<String, NodeInfo> infos, String name) {
        ValueInfo info = infos.get(name).getInfo();
        if (!(info instanceof TensorInfo)) {
            throw new UnsupportedModelException(file + ": " + name + " is " + info + "; expected a tensor");
        }
        return (TensorInfo) info;
    }

    /** "name type[shape]" for each value, sorted, so a long list stays readable. */
    private static String describe(Map<String, NodeInfo> infos) {
        Function<NodeInfo, String> one = n -> {
            ValueInfo v = n.getInfo();
            if (v instanceof TensorInfo t) {
                return n.getName() + " " + t.type + dims(t);
            }
            return n.getName() + " " + v;
        };
        return infos.values().stream().map(one).collect(Collectors.toCollection(TreeSet::new)).toString();
    }

    private static String dims(TensorInfo t) {
        long[] shape = t.getShape();
        String[] names = t.getDimensionNames();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            out.add(shape[i] >= 0 ? Long.toString(shape[i])
                    : names != null && i < names.length && !names[i].isEmpty() ? names[i] : "?");
        }
        return out.toString();
    }
}
