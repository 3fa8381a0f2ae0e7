package dev.billionllm.core.internal.backend.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.lm.AbstractKvCache;
import dev.billionllm.core.lm.CacheRow;
import dev.billionllm.core.lm.KvCache;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The KV cache of an {@link OnnxCausalLM}: per layer, the {@code present.{i}.key|value} tensors
 * of the last run, fed back unchanged as the next run's {@code past_key_values.{i}.key|value}
 * (ONNX Runtime allocates each step's presents itself, so there is nothing to preallocate and
 * no copy between steps), plus the attention mask of every cached position.
 *
 * <p><b>Cheap rollback.</b> Speculative decoding truncates after every round. Copying the
 * tensors each time would move the whole cache out of ONNX Runtime and back; instead, a cache of
 * one unpadded row keeps its tensors and only forgets the rolled-back positions: they stay in the
 * tensors as masked padding (the standard graph masks them; the GroupQueryAttention graph packs real
 * tokens at the front and writes the next ones over them). The tensors are compacted, once, when
 * such stale positions outnumber {@link #STALE_SLACK} plus a quarter of the real ones, so the copy
 * costs O(1) per rolled-back token. Batches with padding truncate by copying, as before.
 *
 * <p>Owns its tensors: each step closes the pasts it replaces, and {@link #close()} frees the
 * rest, so native memory stays flat across a generation. Not thread-safe; one cache per
 * sequence batch.
 */
final class OrtKvCache extends AbstractKvCache {

    private final OrtEnvironment env;
    private final OnnxLayout layout;
    /** [layer] -> [batch, kv_heads, length, head_dim]. */
    private final OnnxTensor[] keys;
    private final OnnxTensor[] values;
    /** GroupQueryAttention graph: new tokens go right after the real ones, whatever the tensors' length. */
    private final boolean packedFront;
    /**
     * Null while the tensors hold exactly the {@link #length()} cached positions; after a cheap
     * truncate, the tensor index of each cached position (the rest of the tensors is stale).
     */
    private int[] where;
    /** Positions in the tensors (dimension 2); {@link #length()} unless {@link #where} is set. */
    private int stored;

    /** Stale positions tolerated before the tensors are compacted (plus a quarter of the real ones). */
    static final int STALE_SLACK = 64;

    private OrtKvCache(OnnxCausalLM owner, OrtEnvironment env, OnnxLayout layout, int batchSize, int capacity,
            boolean packedFront) {
        super(owner, batchSize, capacity);
        this.env = env;
        this.layout = layout;
        this.packedFront = packedFront;
        this.keys = new OnnxTensor[layout.layers()];
        this.values = new OnnxTensor[layout.layers()];
    }

    /** A copy of {@code from}'s bookkeeping, with no tensors yet. */
    private OrtKvCache(OrtKvCache from) {
        super(from);
        this.env = from.env;
        this.layout = from.layout;
        this.packedFront = from.packedFront;
        this.stored = from.length();
        this.keys = new OnnxTensor[layout.layers()];
        this.values = new OnnxTensor[layout.layers()];
    }

    /** {@code rows}' bookkeeping stacked (see {@link AbstractKvCache}), with no tensors yet. */
    private OrtKvCache(OnnxCausalLM owner, OrtEnvironment env, OnnxLayout layout, List<CacheRow> rows, int capacity,
            boolean packedFront) {
        super(owner, rows, capacity);
        this.env = env;
        this.layout = layout;
        this.packedFront = packedFront;
        this.stored = length();
        this.keys = new OnnxTensor[layout.layers()];
        this.values = new OnnxTensor[layout.layers()];
    }

    /**
     * The rows of {@code sources} stacked, as {@link OnnxCausalLM#stackRows} describes. The
     * standard graph reads each position where the mask puts it, so a row's real tokens go to the
     * last positions; the GroupQueryAttention graph reads a row's real tokens from the front of its
     * tensors (see the class comment), so they go there, as after a left-padded prefill.
     */
    static OrtKvCache stacked(OnnxCausalLM owner, OrtEnvironment env, OnnxLayout layout, List<CacheRow> rows,
            List<OrtKvCache> sources, int capacity, boolean packedFront) {
        OrtKvCache c = new OrtKvCache(owner, env, layout, rows, capacity, packedFront);
        try {
            int[][] slots = new int[rows.size()][];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = sources.get(i).tensorSlots(rows.get(i).row());
            }
            for (int layer = 0; layer < layout.layers(); layer++) {
                c.keys[layer] = c.stackLayer(sources, rows, slots, layer, true);
                c.values[layer] = c.stackLayer(sources, rows, slots, layer, false);
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Where row {@code b}'s real tokens are in the tensors (dimension 2), in order. */
    private int[] tensorSlots(int b) {
        if (packedFront) {
            int[] front = new int[realTokens(b)];
            for (int j = 0; j < front.length; j++) {
                front[j] = j;
            }
            return front;
        }
        int[] real = realPositions(b);
        if (where != null) {
            for (int j = 0; j < real.length; j++) {
                real[j] = where[real[j]];
            }
        }
        return real;
    }

    private OnnxTensor stackLayer(List<OrtKvCache> sources, List<CacheRow> rows, int[][] slots, int layer,
            boolean key) {
        int rowBytes = layout.headDim() * layout.kvElementBytes();
        int heads = layout.kvHeads();
        int length = length();
        // each source tensor leaves ONNX Runtime once (getByteBuffer copies it), however many rows it gives
        Map<OrtKvCache, ByteBuffer> copied = new IdentityHashMap<>();
        ByteBuffer out = ByteBuffer.allocateDirect(batchSize() * heads * length * rowBytes).order(ByteOrder.nativeOrder());
        for (int i = 0; i < rows.size(); i++) {
            OrtKvCache from = sources.get(i);
            ByteBuffer in = copied.computeIfAbsent(from, f ->
                    (key ? f.keys[layer] : f.values[layer]).getByteBuffer().order(ByteOrder.nativeOrder()));
            int src = rows.get(i).row();
            int[] at = slots[i];
            int start = packedFront ? 0 : length - at.length;
            for (int h = 0; h < heads; h++) {
                long fromBase = ((long) src * heads + h) * from.stored;
                long toBase = ((long) i * heads + h) * length + start;
                for (int j = 0; j < at.length; ) {
                    int run = runLength(at, j); // copy runs of consecutive positions at once
                    ByteBuffer chunk = in.duplicate();
                    int from0 = Math.toIntExact((fromBase + at[j]) * rowBytes);
                    chunk.position(from0).limit(from0 + run * rowBytes);
                    out.position(Math.toIntExact((toBase + j) * rowBytes));
                    out.put(chunk);
                    j += run;
                }
            }
        }
        out.rewind();
        return tensor(out, length);
    }

    /** An empty cache: zero-length pasts, as the first call of an exported decoder expects. */
    static OrtKvCache empty(OnnxCausalLM owner, OrtEnvironment env, OnnxLayout layout, int batchSize,
            int capacity, boolean packedFront) {
        OrtKvCache cache = new OrtKvCache(owner, env, layout, batchSize, capacity, packedFront);
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

    /** Positions in the tensors: {@link #length()} plus any stale ones a cheap truncate left. */
    int stored() {
        return stored;
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
        if (where != null) {
            // one unpadded row: 1 where a cached position lives, 0 on stale ones
            long[] out = new long[stored + seq];
            for (int j = 0; j < length(); j++) {
                out[where[j]] = 1;
            }
            for (int t = 0; t < seq; t++) {
                out[stored + t] = newMask[0][t];
            }
            return out;
        }
        int length = length();
        int total = length + seq;
        long[] out = new long[batchSize() * total];
        for (int b = 0; b < batchSize(); b++) {
            for (int t = 0; t < length; t++) {
                out[b * total + t] = isReal(b, t) ? 1 : 0;
            }
            for (int t = 0; t < seq; t++) {
                out[b * total + length + t] = newMask[b][t];
            }
        }
        return out;
    }

    /** {@link #positions} flattened to {@code [batch, seq]} row-major, as the model's input. */
    long[] positionsFor(int[][] newMask) {
        int seq = newMask[0].length;
        long[] out = new long[batchSize() * seq];
        int[][] positions = positions(newMask);
        for (int b = 0; b < batchSize(); b++) {
            for (int t = 0; t < seq; t++) {
                out[b * seq + t] = positions[b][t];
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
        int expected = stored + seq;
        for (int i = 0; i < keys.length; i++) {
            long[] shape = presentKeys[i].getInfo().getShape();
            if (shape[0] != batchSize() || shape[2] != expected) {
                throw new BillionException("present." + i + ".key has shape " + Arrays.toString(shape)
                        + "; expected [" + batchSize() + ", kv_heads, " + expected + ", head_dim]");
            }
        }
        for (int i = 0; i < keys.length; i++) {
            keys[i].close();
            values[i].close();
            keys[i] = presentKeys[i];
            values[i] = presentValues[i];
        }
        if (where != null) {
            int length = length();
            if (where.length < length + seq) {
                where = Arrays.copyOf(where, Math.max(2 * where.length, length + seq));
            }
            for (int t = 0; t < seq; t++) {
                // the standard graph appends after everything stored; GroupQueryAttention right
                // after the real tokens, over the stale ones
                where[length + t] = packedFront ? length + t : stored + t;
            }
        }
        stored += seq;
        append(newMask);
    }

    /**
     * Copies the cached positions into compact tensors when the stale ones left by cheap truncates
     * have piled up (called before each run).
     */
    void compactIfStale() {
        if (where != null && stored - length() > STALE_SLACK + length() / 4) {
            compactTo(length());
        }
    }

    /** Replaces the tensors with ones holding exactly the first {@code n} cached positions. */
    private void compactTo(int n) {
        replaceAll(slots(n));
        where = null;
        stored = n;
    }

    /** The tensor index (dimension 2) of each of the first {@code n} cached positions. */
    private int[] slots(int n) {
        if (where != null) {
            return Arrays.copyOf(where, n);
        }
        int[] keep = new int[n];
        for (int j = 0; j < n; j++) {
            keep[j] = j;
        }
        return keep;
    }

    /** Replaces every tensor with one holding the positions {@code keep} of the current ones. */
    private void replaceAll(int[] keep) {
        for (int i = 0; i < keys.length; i++) {
            OnnxTensor k = gather(keys[i], keep);
            OnnxTensor v;
            try {
                v = gather(values[i], keep);
            } catch (RuntimeException e) {
                k.close();
                throw e;
            }
            keys[i].close();
            values[i].close();
            keys[i] = k;
            values[i] = v;
        }
    }

    @Override
    protected void truncateStorage(int newLength) {
        if (newLength > 0 && batchSize() == 1 && realTokens(0) == length()) {
            // cheap: forget the positions, keep the tensors (see the class comment)
            if (where == null) {
                where = slots(Math.max(16, length())); // identity; entries past length() are written before use
            }
            return;
        }
        compactTo(newLength);
    }

    @Override
    public KvCache copy() {
        OrtKvCache c = new OrtKvCache(this);
        try {
            int[] keep = slots(length());
            for (int i = 0; i < keys.length; i++) {
                c.keys[i] = gather(keys[i], keep);
                c.values[i] = gather(values[i], keep);
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** A new tensor holding the positions {@code keep} of {@code src} (dimension 2), in that order. */
    private OnnxTensor gather(OnnxTensor src, int[] keep) {
        // Outputs of a run live in ORT's memory; getByteBuffer copies them out in native order.
        ByteBuffer in = src.getByteBuffer().order(ByteOrder.nativeOrder());
        int rowBytes = layout.headDim() * layout.kvElementBytes();
        int rows = batchSize() * layout.kvHeads();
        int oldStride = stored * rowBytes;
        ByteBuffer out = ByteBuffer.allocateDirect(rows * keep.length * rowBytes).order(ByteOrder.nativeOrder());
        for (int r = 0; r < rows; r++) {
            int j = 0;
            while (j < keep.length) {
                int run = runLength(keep, j); // copy runs of consecutive positions at once
                ByteBuffer chunk = in.duplicate();
                int from = r * oldStride + keep[j] * rowBytes;
                chunk.position(from).limit(from + run * rowBytes);
                out.put(chunk);
                j += run;
            }
        }
        out.rewind();
        return tensor(out, keep.length);
    }

    private OnnxTensor tensor(ByteBuffer data, int positions) {
        long[] shape = {batchSize(), layout.kvHeads(), positions, layout.headDim()};
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
        return 2L * layout.layers() * batchSize() * layout.kvHeads() * capacity() * layout.headDim()
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

    @Override
    protected void release() {
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
