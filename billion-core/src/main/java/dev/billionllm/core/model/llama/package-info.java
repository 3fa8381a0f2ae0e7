/**
 * Llama family: checkpoint tensor names only. The math is in {@link dev.billionllm.core.model};
 * llama's differences (RMSNorm, gated SiLU MLP, GQA, llama3 rope) are configuration.
 */
package dev.billionllm.core.model.llama;
