/**
 * Builds ONNX decoders from Hugging Face checkpoints, in Java: {@link dev.billionllm.core.export.OnnxExporter}
 * reads safetensors weights, writes the decoder graph once for every family (the differences are
 * {@link dev.billionllm.core.config.ModelConfig} switches and the engine-free description in
 * {@link dev.billionllm.core.arch}, which the PyTorch model reads too), and stores weights as fp32, int8 or
 * int4 in an external data file. The result has the Optimum layout the ONNX Runtime backend
 * loads.
 *
 * <p>Belongs here: the protobuf encoder, the ONNX graph builder, weight quantisation and packing.
 * Does not belong here: running the graph (that is {@code backend.onnx}), reading checkpoints
 * ({@code io.safetensors}), or any fact about a family (tensor names, fused layouts, the rope
 * schedule: {@code arch}).
 */
package dev.billionllm.core.export;
