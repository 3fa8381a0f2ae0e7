package dev.billionllm.core.export;

/**
 * How the exporter stores the weights of the linear layers, and the precision a safetensors model
 * runs at when loaded with {@code LoadOptions.optPrecision} ({@link #AUTO} lets the loader pick).
 */
public enum Precision {
    /**
     * Loading only: the precision that keeps quality and runs fastest on this CPU class (today
     * int8 everywhere; {@code cache.FastPath} gives the measured reason). Not an export precision:
     * {@code ExportOptions} refuses it.
     */
    AUTO,
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
