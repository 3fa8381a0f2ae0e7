package dev.billionllm.examples.cli;

import dev.billionllm.core.BillionException;
import dev.billionllm.core.hub.HubClient;
import dev.billionllm.core.hub.HubOptions;
import dev.billionllm.core.spec.ModelSpec;
import java.nio.file.Path;
import java.util.Optional;

/** Finds a spec's snapshot in the Hugging Face cache through the Hub client in offline mode: no network. */
final class HubSnapshots {
    private HubSnapshots() {}

    static Optional<Path> cached(ModelSpec spec) {
        HubClient offline = new HubClient(HubOptions.fromEnvironment().toBuilder().optOffline(true).optQuiet(true).build());
        try {
            return Optional.of(offline.download(spec.id()));
        } catch (BillionException e) {
            return Optional.empty();
        }
    }
}
