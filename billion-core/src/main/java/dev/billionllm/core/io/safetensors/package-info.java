/**
 * Our own reader and writer for the safetensors format: an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte span, then the raw little-endian data.
 *
 * <p>Why not DJL's reader: it holds a whole file in one {@code byte[]} and so fails past 2 GB, and
 * it would hand BF16 straight to the PyTorch engine, which aborts the JVM on it. Here offsets are
 * 64-bit, each tensor is memory-mapped on its own, and F16/BF16/F64 are converted to fp32 in Java.
 *
 * <p>Entry points: {@link dev.billionllm.core.io.safetensors.Safetensors#open(java.nio.file.Path)}
 * for a model folder, {@link dev.billionllm.core.io.safetensors.SafetensorsFile} for one file,
 * {@link dev.billionllm.core.io.safetensors.ShardedSafetensors} for an index, and
 * {@link dev.billionllm.core.io.safetensors.SafetensorsWriter}. Every malformed input is a
 * {@link dev.billionllm.core.WeightLoadException} naming the file and the problem.
 *
 * <p>Not here: mapping checkpoint names to architecture weights (that belongs to the model
 * families) and anything engine-specific (NDArrays are made by the backends from the buffers read
 * here).
 */
package dev.billionllm.core.io.safetensors;
