/**
 * Model specs: {@link dev.billionllm.core.spec.ModelSpec} (what a model is and where it comes
 * from), the {@link dev.billionllm.core.spec.ModelSpecProvider} SPI, JSON spec files
 * ({@link dev.billionllm.core.spec.ModelSpecs}), the four seed models
 * ({@link dev.billionllm.core.spec.SeedSpecs}) and the {@link dev.billionllm.core.spec.ModelRegistry}
 * that looks them up by id or Hub repo id.
 *
 * <p>Specs only describe; downloading (hub), parsing config.json (config) and loading weights
 * belong elsewhere.
 */
package dev.billionllm.core.spec;
