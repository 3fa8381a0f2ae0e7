package dev.billionllm.bench.mmlu;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The hand-written MMLU-format sample under src/test/resources. */
final class MmluTestData {

    private MmluTestData() {}

    static Path resource(String name) {
        try {
            return Path.of(MmluTestData.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Three subjects: astronomy (3 test questions), high_school_geography (2), world_religions (4). */
    static MmluDataset csv() {
        return MmluDataset.load(resource("mmlu-sample"));
    }
}
