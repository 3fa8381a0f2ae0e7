package dev.billionllm.core.hub;

import dev.billionllm.core.spec.ModelRegistry;
import dev.billionllm.core.spec.ModelSpec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns a short model id ({@code "tinyllama"}) into the Hub repo and revision it stands for. This
 * is the one seam between downloads and the model-spec registry: {@link HubClient} asks the
 * resolver first and treats an unknown id as a repo id.
 */
@FunctionalInterface
public interface ModelResolver {

    /** The repo and revision for {@code id}, or empty when {@code id} is not a known model id. */
    Optional<RepoRef> resolve(String id);

    /** Known model ids, for error messages; empty when the resolver cannot list them. */
    default List<String> knownIds() {
        return List.of();
    }

    /** Knows no model ids: every id is taken as a repo id at {@code main}. */
    static ModelResolver repoIdsOnly() {
        return id -> Optional.empty();
    }

    /**
     * Model specs of {@link ModelRegistry#load()}, loaded on first use (so a broken user spec file
     * does not stop downloads by repo id). A repo id that a spec registers gets the spec's
     * pinned revision.
     */
    static ModelResolver specs() {
        return specs(new Supplier<>() {
            private ModelRegistry registry;

            @Override
            public synchronized ModelRegistry get() {
                if (registry == null) {
                    registry = ModelRegistry.load();
                }
                return registry;
            }
        });
    }

    /** Model specs of the given registry. */
    static ModelResolver specs(ModelRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        return specs(() -> registry);
    }

    private static ModelResolver specs(Supplier<ModelRegistry> registry) {
        return new ModelResolver() {
            @Override
            public Optional<RepoRef> resolve(String id) {
                Optional<ModelSpec> spec = registry.get().find(id);
                if (spec.isEmpty()) {
                    return Optional.empty();
                }
                String repo = spec.get().repoId().orElseThrow(() -> new HubException(HubException.Reason.INVALID_NAME,
                        "Model spec \"" + id + "\" has no Hub repo (it is local-only), so there is nothing to download"));
                return Optional.of(new RepoRef(repo, spec.get().revision()));
            }

            @Override
            public List<String> knownIds() {
                return registry.get().ids();
            }
        };
    }

    /**
     * A repo and a revision (branch, tag or commit).
     *
     * @param repoId {@code org/name}
     * @param revision null means {@code main}
     */
    record RepoRef(String repoId, String revision) {
        public RepoRef {
            RepoId.of(repoId);
            revision = revision == null ? HubClient.DEFAULT_REVISION : HubNames.checkRevision(revision);
        }
    }
}
