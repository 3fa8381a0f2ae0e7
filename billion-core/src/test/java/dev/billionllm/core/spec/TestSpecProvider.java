package dev.billionllm.core.spec;

import dev.billionllm.core.config.Family;
import java.util.List;

/**
 * A provider registered only on the test class path (src/test/resources/META-INF/services), to
 * prove that {@link ModelRegistry#load()} finds third-party providers through ServiceLoader.
 */
public final class TestSpecProvider implements ModelSpecProvider {

    /** The one spec this provider contributes. */
    public static final ModelSpec SPEC = ModelSpec.builder()
            .setId("test-provider-model")
            .setRepoId("billion-test/provider-model")
            .setFamily(Family.GPT_NEOX)
            .optDescription("registered by the test ServiceLoader provider")
            .build();

    @Override
    public List<ModelSpec> specs() {
        return List.of(SPEC);
    }
}
