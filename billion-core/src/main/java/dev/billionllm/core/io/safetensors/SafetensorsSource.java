package dev.billionllm.core.io.safetensors;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * A {@link TensorSource} backed by safetensors files (one file or the shards of an index), with
 * typed access beyond fp32. All reads are thread-safe; a buffer returned by {@link #buffer} stays
 * valid after {@link #close()}.
 *
 * <pre>{@code
 * try (SafetensorsSource weights = Safetensors.open(modelFolder)) {
 *     float[] embed = weights.floats("model.embed_tokens.weight"); // BF16/F16/F64 widened to fp32
 *     ByteBuffer direct = weights.floatBuffer("lm_head.weight");   // direct, little-endian fp32
 * }
 * }</pre>
 */
public interface SafetensorsSource extends TensorSource {

    /** The {@code __metadata__} string map (for an index: its {@code metadata} values as text). */
    Map<String, String> metadata();

    /**
     * The tensor's raw little-endian bytes, memory-mapped read-only (no copy). Fails for a tensor
     * of more than {@code Integer.MAX_VALUE} bytes, the most one {@code ByteBuffer} can hold.
     */
    ByteBuffer buffer(String name);

    /**
     * The tensor's values as fp32 in a new direct little-endian buffer (position 0), converted
     * straight from the mapped file: one copy, ready for a native engine.
     */
    ByteBuffer floatBuffer(String name);

    /** Integer tensors (I64, I32, I16, I8, U8) as longs. */
    long[] longs(String name);

    /** Integer tensors as ints; I64 values must fit in an int. */
    int[] ints(String name);

    /** One-byte tensors (I8, U8, BOOL) as raw bytes. */
    byte[] bytes(String name);

    /** A BOOL tensor (any non-zero byte is true). */
    boolean[] booleans(String name);

    /** {@inheritDoc} Converted chunk by chunk from the mapped file, with no intermediate array. */
    @Override
    void readFloats(String name, FloatBuffer dst);
}
