/**
 * Builds ONNX decoders from Hugging Face checkpoints, in Java: {@link dev.billionllm.core.export.OnnxExporter}
 * reads safetensors weights, writes the decoder graph once for every family (the differences are
 * {@link dev.billionllm.core.config.ModelConfig} switches), and stores weights as fp32, int8 or
 * int4 in an external data file. The result has the Optimum layout the ONNX Runtime backend
 * loads.
 *
 * <p>Belongs here: the protobuf encoder, the ONNX graph builder, weight quantisation and packing.
 * Does not belong here: running the graph (that is {@code backend.onnx}) or reading checkpoints
 * ({@code io.safetensors}).
 */
package dev.billionllm.core.export;
