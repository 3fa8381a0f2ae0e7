/**
 * Hugging Face Hub downloads into the cache layout of Python's huggingface_hub, so that Java and
 * Python share one cache: {@link dev.billionllm.core.hub.HubClient} (entry point),
 * {@link dev.billionllm.core.hub.HubOptions} (endpoint, cache, token, offline, quiet, retries,
 * timeouts) and {@link dev.billionllm.core.hub.FileFilter} (which files). Spec ids
 * ({@code tinyllama}) are looked up in the {@link dev.billionllm.core.spec.ModelRegistry}.
 *
 * <p>Transfers resume with HTTP Range, LFS files are checked against their sha256 before they
 * enter the cache, and a lock file serialises writers of one blob. Loading what was downloaded
 * belongs to {@code Model.load}, which finds downloaded snapshots offline, not here.
 */
package dev.billionllm.core.hub;
