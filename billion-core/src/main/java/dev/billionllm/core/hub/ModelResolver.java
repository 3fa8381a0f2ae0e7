package dev.billionllm.core.hub;

import java.util.Optional;

/**
 * Turns a short model id ({@code "tinyllama"}) into the Hub repo and revision it stands for. This
 * is the one seam between downloads and the model-spec registry: {@link HubClient} asks the
 * resolver first and treats an unknown id as a repo id.
 */
@FunctionalInterface
public interface ModelResolver {

    /** The repo and revision for {@code id}, or empty when {@code id} is not a known model id. */
    Optional<RepoRef> resolve(String id);

    /** Knows no model ids: every id is taken as a repo id at {@code main}. */
    static ModelResolver repoIdsOnly() {
        return id -> Optional.empty();
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
