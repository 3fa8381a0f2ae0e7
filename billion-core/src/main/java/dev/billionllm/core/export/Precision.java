package dev.billionllm.core.export;

/** How the exporter stores the weights of the linear layers. */
public enum Precision {
    /** fp32 weights, {@code MatMul}. Exact: matches the reference within 1e-4. */
    FP32,
    /**
     * int8 weights with one scale per output channel, symmetric; run by
     * {@code com.microsoft.DynamicQuantizeMatMul}, which quantizes activations per call.
     */
    INT8,
    /**
     * 4-bit weights in blocks along the input dimension with one fp32 scale per block (zero point
     * 8), run by {@code com.microsoft.MatMulNBits}.
     */
    INT4
}
