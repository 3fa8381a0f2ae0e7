/**
 * Speed checks of exported ONNX decoders (not unit tests): build a model of a real shape with
 * random weights, export it at each precision, and time prefill and decode through the ONNX
 * Runtime backend.
 */
package dev.billionllm.bench.export;
