package dev.billionllm.core.backend;

/**
 * How a backend loads a model.
 *
 * @param device "cpu", or "gpu" / "gpu:N" where the engine finds one; null picks the engine default
 *     (GPU when DJL finds CUDA, else CPU)
 * @param threads intra-op threads; 0 leaves the engine's default
 * @param variant backend-specific file choice (ONNX: "fp32", "quantized", "int8", "q4", "fp16", or
 *     a file name); null picks the default
 * @param usableVocabSize ids at or past this are never produced (the tokenizer's size); 0 = the
 *     config's vocab_size
 */
public record LoadOptions(String device, int threads, String variant, int usableVocabSize) {

    public LoadOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = engine default), got " + threads);
        }
        if (usableVocabSize < 0) {
            throw new IllegalArgumentException("usableVocabSize must be >= 0, got " + usableVocabSize);
        }
    }

    /** Engine defaults everywhere. */
    public static LoadOptions defaults() {
        return new LoadOptions(null, 0, null, 0);
    }

    public LoadOptions withDevice(String device) {
        return new LoadOptions(device, threads, variant, usableVocabSize);
    }

    public LoadOptions withThreads(int threads) {
        return new LoadOptions(device, threads, variant, usableVocabSize);
    }

    public LoadOptions withVariant(String variant) {
        return new LoadOptions(device, threads, variant, usableVocabSize);
    }

    public LoadOptions withUsableVocabSize(int usableVocabSize) {
        return new LoadOptions(device, threads, variant, usableVocabSize);
    }
}
