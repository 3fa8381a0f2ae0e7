package dev.billionllm.core.hub;

import java.util.Objects;

/**
 * What to download: a model (by spec id or repo id), a revision, a file filter and whether to ask
 * the Hub for a newer commit even when the cache already has a complete snapshot.
 *
 * <pre>{@code
 * DownloadRequest req = DownloadRequest.builder("stabilityai/stablelm-2-1_6b-chat")
 *         .optFilter(FileFilter.all())
 *         .build();
 * }</pre>
 *
 * @param id a model spec id or a repo id
 * @param revision branch, tag or commit; null means the spec's revision, else {@code main}
 * @param filter which files to fetch
 * @param refresh true asks the Hub for the revision's current commit even on a cache hit
 */
public record DownloadRequest(String id, String revision, FileFilter filter, boolean refresh) {

    public DownloadRequest {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("model id is empty (example: tinyllama or TinyLlama/TinyLlama-1.1B-Chat-v1.0)");
        }
        Objects.requireNonNull(filter, "filter");
        if (revision != null) {
            HubNames.checkRevision(revision);
        }
    }

    /** The default files of a model at its default revision. */
    public static DownloadRequest of(String id) {
        return builder(id).build();
    }

    public static Builder builder(String id) {
        return new Builder(id);
    }

    public Builder toBuilder() {
        return new Builder(id).optRevision(revision).optFilter(filter).optRefresh(refresh);
    }

    /** Builder for {@link DownloadRequest}. */
    public static final class Builder {
        private final String id;
        private String revision;
        private FileFilter filter = FileFilter.defaults();
        private boolean refresh;

        private Builder(String id) {
            this.id = id;
        }

        /** Branch, tag or commit; default: the spec's revision, else {@code main}. */
        public Builder optRevision(String revision) {
            this.revision = revision;
            return this;
        }

        /** Which files; default {@link FileFilter#defaults()}. */
        public Builder optFilter(FileFilter filter) {
            this.filter = Objects.requireNonNull(filter, "filter");
            return this;
        }

        /** Check the Hub for a newer commit even when the cache is complete; default false. */
        public Builder optRefresh(boolean refresh) {
            this.refresh = refresh;
            return this;
        }

        public DownloadRequest build() {
            return new DownloadRequest(id, revision, filter, refresh);
        }
    }
}
