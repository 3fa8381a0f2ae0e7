/**
 * Runnable examples: thin mains over the library APIs (the benchmark, and others as modules
 * grow). Logic belongs in the library modules, not here.
 */
package dev.billionllm.examples;
