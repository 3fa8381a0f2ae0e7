/**
 * StableLM family: checkpoint tensor names only. LayerNorm with bias, partial rotary, q/k/v biases,
 * optional qk-norm and parallel residual are configuration of the shared blocks.
 */
package dev.billionllm.core.model.stablelm;
