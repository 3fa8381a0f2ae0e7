package dev.billionllm.core.backend.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.lm.KvCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The KV cache of an {@link OnnxCausalLM}: per layer, the {@code present.{i}.key|value} tensors
 * of the last run, fed back unchanged as the next run's {@code past_key_values.{i}.key|value}
 * (ONNX Runtime allocates each step's presents itself, so there is nothing to preallocate and
 * no copy between steps), plus the attention mask of every cached position.
 *
 * <p>Owns its tensors: each step closes the pasts it replaces, and {@link #close()} frees the
 * rest, so native memory stays flat across a generation. Not thread-safe; one cache per
 * sequence batch.
 */
final class OrtKvCache implements KvCache {

    private final OnnxCausalLM owner;
    private final OrtEnvironment env;
    private final OnnxLayout layout;
    private final int batchSize;
    private final int capacity;
    /** [layer] -> [batch, kv_heads, length, head_dim]. */
    private final OnnxTensor[] keys;
    private final OnnxTensor[] values;
    /** [batch][capacity], valid up to {@link #length}: 1 = real token, 0 = padding. */
    private final int[][] mask;
    private int length;
    private boolean closed;

    private OrtKvCache(OnnxCausalLM owner, OrtEnvironment env, OnnxLayout layout, int batchSize, int capacity) {
        this.owner = owner;
        this.env = env;
        this.layout = layout;
        this.batchSize = batchSize;
        this.capacity = capacity;
        this.keys = new OnnxTensor[layout.layers()];
        this.values = new OnnxTensor[layout.layers()];
        this.mask = new int[batchSize][capacity];
    }

    /** An empty cache: zero-length pasts, as the first call of an exported decoder expects. */
    static OrtKvCache empty(OnnxCausalLM owner, OrtEnvironment env, OnnxLayout layout, int batchSize,
            int capacity) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0, got " + capacity);
        }
        OrtKvCache cache = new OrtKvCache(owner, env, layout, batchSize, capacity);
        try {
            for (int i = 0; i < layout.layers(); i++) {
                cache.keys[i] = cache.tensor(ByteBuffer.allocateDirect(0), 0);
                cache.values[i] = cache.tensor(ByteBuffer.allocateDirect(0), 0);
            }
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
        return cache;
    }

    OnnxCausalLM owner() {
        return owner;
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    OnnxTensor key(int layer) {
        checkOpen();
        return keys[layer];
    }

    OnnxTensor value(int layer) {
        checkOpen();
        return values[layer];
    }

    /** Whether {@code v} is one of the tensors this cache holds (and so must not be closed by the caller). */
    boolean holds(OnnxValue v) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == v || values[i] == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * The attention mask of a step, {@code [batch, length + seq]} row-major: the cached positions'
     * mask followed by the new tokens'.
     */
    long[] maskWith(int[][] newMask) {
        int seq = newMask[0].length;
        int total = length + seq;
        long[] out = new long[batchSize * total];
        for (int b = 0; b < batchSize; b++) {
            for (int t = 0; t < length; t++) {
                out[b * total + t] = mask[b][t];
            }
            for (int t = 0; t < seq; t++) {
                out[b * total + length + t] = newMask[b][t];
            }
        }
        return out;
    }

    /**
     * Positions of the new tokens, {@code [batch, seq]}: each row's count of real tokens before
     * them, which equals Hugging Face's {@code cumsum(attention_mask) - 1} clamped at 0 for
     * left-padded rows (padding positions get 0 or the previous real position; they are masked).
     */
    long[] positionsFor(int[][] newMask) {
        int seq = newMask[0].length;
        long[] out = new long[batchSize * seq];
        for (int b = 0; b < batchSize; b++) {
            long real = 0;
            for (int t = 0; t < length; t++) {
                real += mask[b][t];
            }
            for (int t = 0; t < seq; t++) {
                real += newMask[b][t];
                out[b * seq + t] = Math.max(0, real - 1);
            }
        }
        return out;
    }

    /**
     * Takes the presents of a run as the new pasts, closing the ones they replace, and appends the
     * new tokens' mask.
     */
    void advance(OnnxTensor[] presentKeys, OnnxTensor[] presentValues, int[][] newMask) {
        checkOpen();
        int seq = newMask[0].length;
        for (int i = 0; i < keys.length; i++) {
            long[] shape = presentKeys[i].getInfo().getShape();
            if (shape[0] != batchSize || shape[2] != length + seq) {
                throw new BillionException("present." + i + ".key has shape " + Arrays.toString(shape)
                        + "; expected [" + batchSize + ", kv_heads, " + (length + seq) + ", head_dim]");
            }
        }
        for (int i = 0; i < keys.length; i++) {
            keys[i].close();
            values[i].close();
            keys[i] = presentKeys[i];
            values[i] = presentValues[i];
        }
        for (int b = 0; b < batchSize; b++) {
            System.arraycopy(newMask[b], 0, mask[b], length, seq);
        }
        length += seq;
    }

    @Override
    public void truncate(int newLength) {
        checkOpen();
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of length " + length + " to " + newLength);
        }
        if (newLength == length) {
            return;
        }
        for (int i = 0; i < keys.length; i++) {
            OnnxTensor k = slice(keys[i], newLength);
            OnnxTensor v;
            try {
                v = slice(values[i], newLength);
            } catch (RuntimeException e) {
                k.close();
                throw e;
            }
            keys[i].close();
            values[i].close();
            keys[i] = k;
            values[i] = v;
        }
        for (int[] row : mask) {
            Arrays.fill(row, newLength, length, 0);
        }
        length = newLength;
    }

    @Override
    public KvCache copy() {
        checkOpen();
        OrtKvCache c = new OrtKvCache(owner, env, layout, batchSize, capacity);
        try {
            for (int i = 0; i < keys.length; i++) {
                c.keys[i] = slice(keys[i], length);
                c.values[i] = slice(values[i], length);
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        for (int b = 0; b < batchSize; b++) {
            c.mask[b] = mask[b].clone();
        }
        c.length = length;
        return c;
    }

    /** A new tensor holding the first {@code newLength} positions of {@code src} (dimension 2). */
    private OnnxTensor slice(OnnxTensor src, int newLength) {
        // Outputs of a run live in ORT's memory; getByteBuffer copies them out in native order.
        ByteBuffer in = src.getByteBuffer().order(ByteOrder.nativeOrder());
        int rowBytes = layout.headDim() * layout.kvElementBytes();
        int rows = batchSize * layout.kvHeads();
        int oldStride = length * rowBytes;
        int newStride = newLength * rowBytes;
        ByteBuffer out = ByteBuffer.allocateDirect(rows * newStride).order(ByteOrder.nativeOrder());
        for (int r = 0; r < rows; r++) {
            ByteBuffer chunk = in.duplicate();
            chunk.position(r * oldStride).limit(r * oldStride + newStride);
            out.put(chunk);
        }
        out.rewind();
        return tensor(out, newLength);
    }

    private OnnxTensor tensor(ByteBuffer data, int positions) {
        long[] shape = {batchSize, layout.kvHeads(), positions, layout.headDim()};
        try {
            return OnnxTensor.createTensor(env, data, shape, layout.kvType());
        } catch (OrtException e) {
            throw new BillionException("cannot create a KV tensor of shape " + Arrays.toString(shape) + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * What a full cache takes ({@code capacity} positions). ONNX Runtime allocates presents at
     * their current length, so the native memory in use grows towards this bound rather than
     * starting at it; reporting the bound lets callers size memory the same way for every backend.
     */
    @Override
    public long sizeInBytes() {
        return 2L * layout.layers() * batchSize * layout.kvHeads() * capacity * layout.headDim()
                * layout.kvElementBytes();
    }

    /** Tensors currently held and not closed (tests check native memory is released). */
    int liveTensors() {
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            n += keys[i] != null && !keys[i].isClosed() ? 1 : 0;
            n += values[i] != null && !values[i].isClosed() ? 1 : 0;
        }
        return n;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this KV cache is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
            }
            if (values[i] != null) {
                values[i].close();
            }
        }
    }
}
