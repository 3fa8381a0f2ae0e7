/**
 * The {@code billion} command line (picocli). Commands are thin: they parse options, load models
 * through {@link dev.billionllm.core.Model#load(String, dev.billionllm.core.backend.LoadOptions)}
 * (never online) and call billion-core or billion-bench. Streams are injected so tests drive every command in-process;
 * only {@code main} methods exit the JVM.
 */
package dev.billionllm.examples.cli;
