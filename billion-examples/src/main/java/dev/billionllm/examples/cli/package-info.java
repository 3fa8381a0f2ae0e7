/**
 * The {@code billion} command line (picocli). Commands are thin: they parse options, resolve the
 * model folder ({@link dev.billionllm.examples.cli.ModelResolver}, never online) and call
 * billion-core or billion-bench. Streams are injected so tests drive every command in-process;
 * only {@code main} methods exit the JVM.
 */
package dev.billionllm.examples.cli;
