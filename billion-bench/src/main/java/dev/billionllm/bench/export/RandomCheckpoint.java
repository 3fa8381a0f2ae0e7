package dev.billionllm.bench.export;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.io.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the random TinyLlama-1.1B-shaped weights {@link OnnxExportBench} exports (the same
 * values: {@link RandomLlamaWeights} is deterministic per tensor name) as a Hugging Face folder,
 * config.json and an fp32 model.safetensors, so another runtime (llama.cpp, through
 * {@code scripts/llamacpp-compare.sh}) can be measured on the very same model. Tensors are
 * generated and written one at a time: 4.4 GB of weights never sit in the heap together.
 *
 * <pre>
 * java -cp $CP dev.billionllm.bench.export.RandomCheckpoint /tmp/random-tinyllama [--layers 22]
 * </pre>
 */
public final class RandomCheckpoint {

    private RandomCheckpoint() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int layers = args.length > 2 && args[1].equals("--layers") ? Integer.parseInt(args[2]) : 22;
        write(OnnxExportBench.tinyLlama(layers), out);
        System.out.println(out);
    }

    static void write(ModelConfig c, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson(c), StandardCharsets.UTF_8);
        RandomLlamaWeights weights = new RandomLlamaWeights(c);
        List<String> names = new ArrayList<>(weights.names());
        JsonObject header = new JsonObject();
        long offset = 0;
        for (String name : names) {
            TensorInfo info = weights.info(name);
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (long d : info.shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + info.elementCount() * Float.BYTES);
            t.add("data_offsets", offsets);
            header.add(name, t);
            offset += info.elementCount() * Float.BYTES;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = dir.resolve("model.safetensors.tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) {
                head.put((byte) ' ');
            }
            head.flip();
            writeFully(ch, head);
            for (String name : names) {
                float[] v = weights.floats(name);
                ByteBuffer data = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                data.asFloatBuffer().put(v);
                writeFully(ch, data);
            }
        }
        Files.move(tmp, dir.resolve("model.safetensors"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static String configJson(ModelConfig c) {
        JsonObject o = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("LlamaForCausalLM");
        o.add("architectures", arch);
        o.addProperty("model_type", "llama");
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("hidden_size", c.hiddenSize());
        o.addProperty("intermediate_size", c.intermediateSize());
        o.addProperty("num_hidden_layers", c.numHiddenLayers());
        o.addProperty("num_attention_heads", c.numAttentionHeads());
        o.addProperty("num_key_value_heads", c.numKeyValueHeads());
        o.addProperty("max_position_embeddings", c.maxPositionEmbeddings());
        o.addProperty("rms_norm_eps", c.normEps());
        o.addProperty("rope_theta", 10000.0);
        o.addProperty("hidden_act", "silu");
        o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        o.addProperty("bos_token_id", 1);
        o.addProperty("eos_token_id", 2);
        o.addProperty("torch_dtype", "float32");
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }
}
