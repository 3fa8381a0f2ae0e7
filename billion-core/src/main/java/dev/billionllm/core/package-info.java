/**
 * billion-core: model specs, config/weight/tokenizer/chat-template loading, the shared architecture
 * math, backends (PyTorch through DJL, ONNX Runtime) and the {@code Generator}.
 *
 * <p>This package holds only the exception family; each sub-package is one idea.
 */
package dev.billionllm.core;
