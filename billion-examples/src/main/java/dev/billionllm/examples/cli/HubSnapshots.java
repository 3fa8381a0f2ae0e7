package dev.billionllm.examples.cli;

import dev.billionllm.core.BillionException;
import dev.billionllm.core.hub.DownloadRequest;
import dev.billionllm.core.hub.HubClient;
import dev.billionllm.core.hub.HubOptions;
import dev.billionllm.core.spec.ModelSpec;
import java.nio.file.Path;
import java.util.Optional;

/** Finds a spec's snapshot in the Hugging Face cache through the Hub client in offline mode: no network. */
final class HubSnapshots {
    private HubSnapshots() {}

    static Optional<Path> cached(ModelSpec spec) {
        if (spec.repoId().isEmpty()) {
            return Optional.empty();
        }
        HubClient offline = new HubClient(HubOptions.fromEnvironment().toBuilder().optOffline(true).optQuiet(true).build());
        try {
            // By repo id and the spec's revision: the caller already holds the spec, so the client
            // need not load the registry a second time to look the id up.
            return Optional.of(offline.download(
                    DownloadRequest.builder(spec.repoId().get()).optRevision(spec.revision()).build()));
        } catch (BillionException e) {
            return Optional.empty();
        }
    }
}
