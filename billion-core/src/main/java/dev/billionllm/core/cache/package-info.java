/**
 * The export cache: ONNX exports of safetensors models, built once with
 * {@link dev.billionllm.core.export.OnnxExporter} and reused by every later run and process.
 *
 * <p>{@link dev.billionllm.core.cache.ExportCache} owns the folder layout, the cross-process
 * locks and the atomic build; {@link dev.billionllm.core.cache.ModelIdentity} says which model a
 * folder holds (Hub repo and commit, else a content fingerprint);
 * {@link dev.billionllm.core.cache.FastPath} picks the precision a model runs at when the user
 * names none, with the measured reason. Exporting itself, and loading, live elsewhere
 * ({@code export/}, {@code backend/}).
 */
package dev.billionllm.core.cache;
