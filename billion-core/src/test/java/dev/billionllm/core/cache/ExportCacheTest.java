package dev.billionllm.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.export.ExportOptions;
import dev.billionllm.core.export.OnnxExporter;
import dev.billionllm.core.export.Precision;
import dev.billionllm.core.testing.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCacheTest {
    static final ExportOptions INT8 = ExportOptions.builder().setPrecision(Precision.INT8).build();

    @TempDir
    Path tmp;

    @Test
    void buildsOnceWithProgressThenReuses() throws Exception {
        ExportCache cache = ExportCache.at(tmp.resolve("cache"));
        StringWriter progress = new StringWriter();
        ExportCache.Entry first = cache.obtain(Fixtures.dir("tiny-tinyllama"), INT8, new PrintWriter(progress));

        assertThat(first.built()).isTrue();
        assertThat(progress.toString()).contains("export int8 tiny-tinyllama").contains("100%");
        assertThat(first.optionsKey()).isEqualTo("int8-u8-v" + OnnxExporter.BUILDER_VERSION);
        JsonObject meta = JsonParser.parseString(Files.readString(first.folder().resolve(OnnxExporter.METADATA_FILE)))
                .getAsJsonObject();
        assertThat(meta.get("precision").getAsString()).isEqualTo("int8");
        assertThat(first.folder().resolve("tokenizer.json")).isRegularFile();
        assertThat(first.folder().resolve("config.json")).isRegularFile();
        long modified = Files.getLastModifiedTime(first.folder().resolve(OnnxExporter.MODEL_FILE)).toMillis();

        StringWriter again = new StringWriter();
        ExportCache.Entry second = cache.obtain(Fixtures.dir("tiny-tinyllama"), INT8, new PrintWriter(again));
        assertThat(second.built()).isFalse();
        assertThat(second.folder()).isEqualTo(first.folder());
        assertThat(again.toString()).isEmpty();
        assertThat(Files.getLastModifiedTime(second.folder().resolve(OnnxExporter.MODEL_FILE)).toMillis())
                .isEqualTo(modified);
        assertThat(tempFolders(cache)).isEmpty();
    }

    @Test
    void optionsAndModelsGetTheirOwnEntriesListedSizedAndCleared() {
        ExportCache cache = ExportCache.at(tmp.resolve("cache"));
        ExportCache.Entry int8 = cache.obtain(Fixtures.dir("tiny-tinyllama"), INT8, null);
        ExportCache.Entry int4 = cache.obtain(Fixtures.dir("tiny-tinyllama"),
                ExportOptions.builder().setPrecision(Precision.INT4).optBlockSize(64).build(), null);
        ExportCache.Entry other = cache.obtain(Fixtures.dir("tiny-llama32"), INT8, null);

        assertThat(int4.folder()).isNotEqualTo(int8.folder());
        assertThat(int4.optionsKey()).isEqualTo("int4-b64-acc4-v" + OnnxExporter.BUILDER_VERSION);
        assertThat(other.modelKey()).isNotEqualTo(int8.modelKey()).startsWith("tiny-llama32-");
        assertThat(cache.list()).extracting(ExportCache.Entry::folder)
                .containsExactlyInAnyOrder(int8.folder(), int4.folder(), other.folder());
        assertThat(cache.list()).allSatisfy(e -> assertThat(e.source()).contains("content fingerprint"));
        long total = cache.sizeBytes();
        assertThat(total).isGreaterThanOrEqualTo(int8.bytes() + int4.bytes() + other.bytes());

        assertThat(cache.clear("tiny-tinyllama")).hasSize(2);
        assertThat(cache.list()).extracting(ExportCache.Entry::folder).containsExactly(other.folder());
        assertThat(cache.clear("")).hasSize(1);
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void concurrentCallersShareOneBuild() throws Exception {
        ExportCache cache = ExportCache.at(tmp.resolve("cache"));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<ExportCache.Entry>> results = new ArrayList<>();
            Callable<ExportCache.Entry> call = () -> cache.obtain(Fixtures.dir("tiny-tinyllama"), INT8, null);
            for (int i = 0; i < 3; i++) {
                results.add(pool.submit(call));
            }
            int built = 0;
            for (Future<ExportCache.Entry> f : results) {
                built += f.get().built() ? 1 : 0;
            }
            assertThat(built).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCrashedBuildIsCleanedUpAndRebuilt() throws Exception {
        ExportCache cache = ExportCache.at(tmp.resolve("cache"));
        ModelIdentity id = ModelIdentity.of(Fixtures.dir("tiny-tinyllama"));
        Path leftover = cache.root().resolve(id.key()).resolve(ExportCache.TMP_PREFIX + "int8-u8-v"
                + OnnxExporter.BUILDER_VERSION + "-12345");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve(OnnxExporter.DATA_FILE), "half written");

        ExportCache.Entry e = cache.obtain(Fixtures.dir("tiny-tinyllama"), INT8, null);
        assertThat(e.built()).isTrue();
        assertThat(leftover).doesNotExist();
        assertThat(cache.list()).hasSize(1);
    }

    @Test
    void identityFollowsContentOrHubCommit() throws Exception {
        Path copy = copyOf(Fixtures.dir("tiny-tinyllama"), tmp.resolve("copy"));
        ModelIdentity before = ModelIdentity.of(copy);
        assertThat(ModelIdentity.of(copy)).isEqualTo(before);
        Path weights = copy.resolve("model.safetensors");
        Files.setLastModifiedTime(weights, FileTime.fromMillis(Files.getLastModifiedTime(weights).toMillis() + 5000));
        assertThat(ModelIdentity.of(copy).key()).isNotEqualTo(before.key());

        Path snapshot = copyOf(Fixtures.dir("tiny-tinyllama"),
                tmp.resolve("hub/models--TinyLlama--TinyLlama-1.1B-Chat-v1.0/snapshots/fe8a4ea1ffedaf415f4da2f062534de366a451e6"));
        ModelIdentity hub = ModelIdentity.of(snapshot);
        assertThat(hub.key()).isEqualTo("models--TinyLlama--TinyLlama-1.1B-Chat-v1.0--fe8a4ea1ffedaf415f4da2f062534de366a451e6");
        assertThat(hub.description()).contains("TinyLlama/TinyLlama-1.1B-Chat-v1.0").contains("fe8a4ea1");

        assertThatThrownBy(() -> ModelIdentity.of(tmp)).hasMessageContaining("config.json");
    }

    private static Path copyOf(Path src, Path dst) throws Exception {
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, dst.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return dst;
    }

    private static List<Path> tempFolders(ExportCache cache) throws Exception {
        try (Stream<Path> s = Files.walk(cache.root())) {
            return s.filter(p -> p.getFileName().toString().startsWith(ExportCache.TMP_PREFIX)).toList();
        }
    }
}
