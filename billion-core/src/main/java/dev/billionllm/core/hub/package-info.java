/**
 * Hugging Face Hub downloads into the cache layout of Python's huggingface_hub, so that Java and
 * Python share one cache: {@link dev.billionllm.core.hub.HubClient} (entry point),
 * {@link dev.billionllm.core.hub.HubOptions} (endpoint, cache, token, offline, quiet, retries,
 * timeouts), {@link dev.billionllm.core.hub.FileFilter} (which files) and
 * {@link dev.billionllm.core.hub.ModelResolver} (spec id to repo).
 *
 * <p>Transfers resume with HTTP Range, LFS files are checked against their sha256 before they
 * enter the cache, and a lock file serialises writers of one blob. Loading what was downloaded
 * belongs to the loaders ({@code config}, {@code io.safetensors}, {@code tokenize}), not here.
 */
package dev.billionllm.core.hub;
