/**
 * Throughput and latency of {@code billion serve} under concurrent clients ({@link
 * dev.billionllm.bench.serve.ServerBench}). Measures over loopback HTTP; nothing here is a test.
 */
package dev.billionllm.bench.serve;
