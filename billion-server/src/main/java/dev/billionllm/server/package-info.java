/**
 * An OpenAI-compatible HTTP server over billion-core models: {@code /v1/chat/completions},
 * {@code /v1/completions}, {@code /v1/models}, {@code /health} and Prometheus {@code /metrics}.
 *
 * <p>Belongs here: HTTP, the OpenAI JSON shapes, admission (concurrency and queue), metrics.
 * Does not belong here: model loading (the caller hands over loaded {@code Model}s), decoding
 * (that is {@code generate.Generator}) and command-line parsing ({@code billion serve} in
 * billion-examples).
 */
package dev.billionllm.server;
