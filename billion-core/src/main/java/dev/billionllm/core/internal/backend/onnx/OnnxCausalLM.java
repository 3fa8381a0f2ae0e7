package dev.billionllm.core.internal.backend.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.UnsupportedModelException;
import dev.billionllm.core.config.ModelConfig;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.CausalLM;
import dev.billionllm.core.lm.KvCache;
import dev.billionllm.core.lm.Logits;
import dev.billionllm.core.lm.LogitsMode;
import dev.billionllm.core.lm.TokenBatch;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A causal LM running an exported ONNX decoder in an ONNX Runtime session. Created by
 * {@link OnnxBackend}; each {@link #forward} is one {@code session.run} whose presents become
 * the cache's pasts.
 *
 * <pre>{@code
 * CausalLM lm = Backends.get("onnxruntime").load(folder, ModelConfigParser.parse(folder),
 *         LoadOptions.builder().optVariant("quantized").build());
 * }</pre>
 *
 * <p>Thread safety: {@code OrtSession.run} may be called concurrently, so several threads may
 * call {@link #forward} at once, each with its own cache.
 */
final class OnnxCausalLM implements CausalLM {

    private final Path file;
    private final ModelConfig config;
    private final int usableVocabSize;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final OnnxLayout layout;
    /**
     * The graph attends with GroupQueryAttention, which cannot mask padding between new tokens nor
     * take several tokens per row after a cached prefix when batched: such batches are refused.
     */
    private final boolean fusedAttention;
    private volatile boolean closed;

    OnnxCausalLM(Path file, ModelConfig config, int usableVocabSize, OrtEnvironment env,
            OrtSession.SessionOptions options, OrtSession session, OnnxLayout layout, boolean fusedAttention) {
        this.file = file;
        this.config = config;
        this.usableVocabSize = usableVocabSize;
        this.env = env;
        this.options = options;
        this.session = session;
        this.layout = layout;
        this.fusedAttention = fusedAttention;
    }

    /** The ONNX file this model runs. */
    public Path file() {
        return file;
    }

    /** Whether keys and values are fp16 (else fp32), as the model's metadata declares. */
    public boolean halfPrecisionKv() {
        return layout.kvType() == OnnxJavaType.FLOAT16;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int usableVocabSize() {
        return usableVocabSize;
    }

    @Override
    public KvCache newCache(int batchSize, int capacity) {
        checkOpen();
        return OrtKvCache.empty(this, env, layout, batchSize, capacity, fusedAttention);
    }

    @Override
    public Logits forward(TokenBatch batch, KvCache kvCache, LogitsMode mode) {
        checkOpen();
        OrtKvCache cache = AbstractKvCache.checkForward(this, OrtKvCache.class, kvCache, batch,
                IllegalArgumentException::new);
        cache.compactIfStale();
        int rows = batch.batchSize();
        int seq = batch.length();
        int past = cache.stored();
        int[][] newMask = AbstractKvCache.maskOf(batch);
        if (fusedAttention) {
            checkFusedAttention(newMask, past);
        }
        long[] ids = batch.flatIds();

        Map<String, OnnxTensor> inputs = new HashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        OrtSession.Result result = null;
        try {
            owned.add(integers(inputs, OnnxLayout.INPUT_IDS, layout.idsType(), ids, rows, seq));
            owned.add(integers(inputs, OnnxLayout.ATTENTION_MASK, layout.maskType(), cache.maskWith(newMask),
                    rows, past + seq));
            if (layout.positionsType() != null) {
                owned.add(integers(inputs, OnnxLayout.POSITION_IDS, layout.positionsType(),
                        cache.positionsFor(newMask), rows, seq));
            }
            if (layout.hasCacheBranch()) {
                // Optimum's merged decoder: the "with past" branch once anything is cached.
                OnnxTensor branch = OnnxTensor.createTensor(env, new boolean[] {past > 0});
                owned.add(branch);
                inputs.put(OnnxLayout.USE_CACHE_BRANCH, branch);
            }
            for (int i = 0; i < layout.layers(); i++) {
                inputs.put(OnnxLayout.pastKey(i), cache.key(i));
                inputs.put(OnnxLayout.pastValue(i), cache.value(i));
            }

            result = session.run(inputs);

            Logits logits = copyLogits(result, rows, seq, mode);
            OnnxTensor[] keys = new OnnxTensor[layout.layers()];
            OnnxTensor[] values = new OnnxTensor[layout.layers()];
            for (int i = 0; i < layout.layers(); i++) {
                keys[i] = output(result, OnnxLayout.presentKey(i));
                values[i] = output(result, OnnxLayout.presentValue(i));
            }
            cache.advance(keys, values, newMask);
            return logits;
        } catch (OrtException e) {
            throw new BillionException(file + ": ONNX Runtime failed on a batch of " + rows + " x " + seq
                    + " tokens after " + past + " cached: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
            if (result != null) {
                // Everything the cache did not take (logits, or all outputs after a failure) is freed now.
                for (Map.Entry<String, OnnxValue> e : result) {
                    if (!cache.holds(e.getValue())) {
                        e.getValue().close();
                    }
                }
            }
        }
    }

    @Override
    public boolean canStackRows() {
        return true;
    }

    @Override
    public KvCache stackRows(List<CacheRow> rows, int capacity) {
        checkOpen();
        List<OrtKvCache> sources = AbstractKvCache.checkStack(this, OrtKvCache.class, rows);
        return OrtKvCache.stacked(this, env, layout, rows, sources, capacity, fusedAttention);
    }

    /**
     * Our GroupQueryAttention graphs move a row's leading padding behind its new tokens (the
     * kernel has no mask, see docs/export.md); padding between two new tokens of a row cannot be
     * moved away and would be attended to as if it were text, so it is refused instead.
     */
    private void checkFusedAttention(int[][] newMask, int past) {
        String what = file + " was exported with fused attention (com.microsoft.GroupQueryAttention; "
                + "fused_attention = true in billion-export.json), ";
        if (past > 0 && newMask.length > 1 && newMask[0].length > 1) {
            // ONNX Runtime 1.21's CPU kernel: "batch_size must be 1 when sequence_length > 1 and past context is given".
            throw new UnsupportedModelException(what + "whose CPU kernel takes several new tokens after cached ones "
                    + "for one row at a time, but this batch has " + newMask.length + " rows of " + newMask[0].length
                    + " tokens after " + past + " cached. Feed such rows one at a time, or re-export with "
                    + "ExportOptions.builder().optFusedAttention(false).");
        }
        for (int b = 0; b < newMask.length; b++) {
            int[] m = newMask[b];
            int first = 0;
            while (first < m.length && m[first] == 0) {
                first++;
            }
            int end = first;
            while (end < m.length && m[end] == 1) {
                end++;
            }
            for (int t = end; t < m.length; t++) {
                if (m[t] == 1) {
                    throw new UnsupportedModelException(what
                            + "which handles padding before or after a row's new tokens only, but row " + b
                            + " has padding at position " + end + " between new tokens. Re-export with "
                            + "ExportOptions.builder().optFusedAttention(false) for such batches.");
                }
            }
        }
    }

    /** Creates an int64 or int32 tensor of shape [rows, cols] as the model declares the input. */
    private OnnxTensor integers(Map<String, OnnxTensor> inputs, String name, OnnxJavaType type, long[] data,
            int rows, int cols) throws OrtException {
        long[] shape = {rows, cols};
        OnnxTensor t;
        if (type == OnnxJavaType.INT64) {
            t = OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape);
        } else {
            int[] narrow = new int[data.length];
            for (int i = 0; i < data.length; i++) {
                narrow[i] = Math.toIntExact(data[i]);
            }
            t = OnnxTensor.createTensor(env, IntBuffer.wrap(narrow), shape);
        }
        inputs.put(name, t);
        return t;
    }

    private OnnxTensor output(OrtSession.Result result, String name) {
        OnnxValue v = result.get(name).orElseThrow(
                () -> new BillionException(file + ": ONNX Runtime returned no output " + name));
        if (!(v instanceof OnnxTensor t)) {
            throw new BillionException(file + ": output " + name + " is " + v.getType() + ", not a tensor");
        }
        return t;
    }

    /** Copies {@code [rows, seq, vocab]} logits (fp16 is widened), or only each row's last position. */
    private Logits copyLogits(OrtSession.Result result, int rows, int seq, LogitsMode mode) {
        OnnxTensor t = output(result, OnnxLayout.LOGITS);
        long[] shape = t.getInfo().getShape();
        int vocab = config.vocabSize();
        if (shape.length != 3 || shape[0] != rows || shape[1] != seq || shape[2] != vocab) {
            throw new BillionException(file + ": logits have shape " + Arrays.toString(shape) + "; expected ["
                    + rows + ", " + seq + ", " + vocab + "]");
        }
        FloatBuffer all = t.getFloatBuffer();
        if (mode == LogitsMode.ALL) {
            float[] out = new float[rows * seq * vocab];
            all.get(out);
            return new Logits(rows, seq, vocab, out);
        }
        float[] out = new float[rows * vocab];
        for (int b = 0; b < rows; b++) {
            all.position((b * seq + seq - 1) * vocab);
            all.get(out, b * vocab, vocab);
        }
        return new Logits(rows, 1, vocab, out);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(file + ": this model is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            // Nothing a caller could do about it; the native session is gone either way.
        } finally {
            options.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxCausalLM[" + file + ", " + config.family() + ", " + layout.layers() + " layers, kv "
                + layout.kvType() + "]";
    }
}
