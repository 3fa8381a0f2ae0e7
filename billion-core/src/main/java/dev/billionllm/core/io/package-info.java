/**
 * File-level helpers shared by the packages that write caches ({@code hub/}, {@code cache/}):
 * {@link dev.billionllm.core.io.ProcessLock} and {@link dev.billionllm.core.io.AtomicFiles}.
 * Weight formats live in subpackages ({@code io.safetensors}).
 */
package dev.billionllm.core.io;
