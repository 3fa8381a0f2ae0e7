package dev.billionllm.core.spec;

import java.util.List;

/**
 * Service-provider interface through which a jar contributes model specs without touching core.
 * Implement it, list the class in {@code META-INF/services/dev.billionllm.core.spec.ModelSpecProvider},
 * and {@link ModelRegistry#load()} finds it with {@link java.util.ServiceLoader}.
 *
 * <pre>{@code
 * public final class MySpecs implements ModelSpecProvider {
 *     public List<ModelSpec> specs() {
 *         return List.of(ModelSpec.builder()
 *                 .setId("my-llama").setRepoId("my-org/my-llama-1b").setFamily(Family.LLAMA).build());
 *     }
 * }
 * }</pre>
 *
 * <p>Implementations need a public no-argument constructor; ids must not clash with other
 * providers' ids (the registry rejects duplicates).
 */
@FunctionalInterface
public interface ModelSpecProvider {

    /** The specs this provider contributes; never null. */
    List<ModelSpec> specs();
}
