package dev.billionllm.bench.mmlu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.BillionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MmluDatasetTest {

    @Test
    void readsTheOriginalCsvLayout() {
        MmluDataset d = MmluTestData.csv();
        assertThat(d.subjects()).containsExactly("astronomy", "high_school_geography", "world_religions");
        assertThat(d.dev().get("astronomy")).hasSize(5);
        assertThat(d.test().get("world_religions")).hasSize(4);
        MmluQuestion quoted = d.test().get("astronomy").get(2);
        assertThat(quoted.question()).isEqualTo("  Which planet is known as the \"Red Planet\"?  ");
        assertThat(quoted.choices()).containsExactly("Venus", "Mars", "Mercury", "Jupiter");
        assertThat(quoted.answer()).isEqualTo(1);
        assertThat(d.dev().get("astronomy").get(2).question())
                .isEqualTo("Which of these is a dwarf planet, according to the IAU?");
    }

    @Test
    void jsonlGivesTheSameQuestionsAsCsv() {
        MmluDataset jsonl = MmluDataset.load(MmluTestData.resource("mmlu-sample-jsonl"));
        assertThat(jsonl).isEqualTo(MmluTestData.csv());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"arrow-rs-v1-snappy-dict", "arrow-rs-v2-gzip-dict",
            "arrow-rs-v1-uncompressed-plain", "hyparquet", "per-subject"})
    void parquetFromTwoWritersGivesTheSameQuestionsAsCsv(String variant) {
        MmluDataset parquet = MmluDataset.load(MmluTestData.resource("mmlu-sample-parquet/" + variant));
        assertThat(parquet).isEqualTo(MmluTestData.csv());
    }

    @Test
    void theCombinedAllConfigIsPreferredOverPerSubjectCopies(@TempDir Path dir) throws IOException {
        // A full cais/mmlu download holds both: reading both would count every question twice.
        for (String sub : List.of("all", "astronomy")) {
            Path from = MmluTestData.resource("mmlu-sample-parquet/" + (sub.equals("all") ? "arrow-rs-v1-snappy-dict/all"
                    : "per-subject/astronomy"));
            Files.createDirectories(dir.resolve(sub));
            for (String split : List.of("dev", "test")) {
                String name = split + "-00000-of-00001.parquet";
                Files.copy(from.resolve(name), dir.resolve(sub).resolve(name));
            }
        }
        assertThat(MmluDataset.load(dir)).isEqualTo(MmluTestData.csv());
    }

    @Test
    void corruptParquetIsAClearError(@TempDir Path dir) throws IOException {
        Path all = Files.createDirectories(dir.resolve("all"));
        Path good = MmluTestData.resource("mmlu-sample-parquet/arrow-rs-v1-snappy-dict/all/test-00000-of-00001.parquet");
        byte[] bytes = Files.readAllBytes(good);
        Files.write(all.resolve("dev-00000-of-00001.parquet"), bytes);
        Files.write(all.resolve("test-00000-of-00001.parquet"), java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertThatThrownBy(() -> MmluDataset.load(dir)).isInstanceOf(BillionException.class)
                .hasMessageContaining("test-00000-of-00001.parquet").hasMessageContaining("PAR1");
        byte[] truncatedFooter = bytes.clone();
        // A footer length pointing before the file start.
        java.nio.ByteBuffer.wrap(truncatedFooter).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(bytes.length - 8, bytes.length * 2);
        Files.write(all.resolve("test-00000-of-00001.parquet"), truncatedFooter);
        assertThatThrownBy(() -> MmluDataset.load(dir)).isInstanceOf(BillionException.class)
                .hasMessageContaining("malformed parquet");
    }

    @Test
    void badFilesNameTheFileAndTheProblem(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("dev"));
        Files.createDirectories(dir.resolve("test"));
        Files.writeString(dir.resolve("dev/x_dev.csv"), "q,a,b,c,d,A\n");
        Files.writeString(dir.resolve("test/x_test.csv"), "q,a,b,c,d,E\n");
        assertThatThrownBy(() -> MmluDataset.load(dir)).isInstanceOf(BillionException.class)
                .hasMessageContaining("x_test.csv").hasMessageContaining("found \"E\"");
        Files.writeString(dir.resolve("test/x_test.csv"), "q,a,b,c,A\n");
        assertThatThrownBy(() -> MmluDataset.load(dir)).hasMessageContaining("expected 6 columns");

        Path j = Files.createDirectories(dir.resolve("j"));
        Files.writeString(j.resolve("dev.jsonl"), "");
        Files.writeString(j.resolve("test.jsonl"), "{\"subject\":\"x\",\"question\":\"q\",\"choices\":[\"a\"],\"answer\":0}\n");
        assertThatThrownBy(() -> MmluDataset.load(j)).hasMessageContaining("test.jsonl line 1")
                .hasMessageContaining("4 choices");
        Files.writeString(j.resolve("test.jsonl"), "{\"subject\":\"x\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"answer\":0}\n");
        assertThatThrownBy(() -> MmluDataset.load(j)).hasMessageContaining("missing field \"question\"");
    }

    @Test
    void unknownFoldersAreRefusedWithTheLayoutsExpected(@TempDir Path dir) {
        assertThatThrownBy(() -> MmluDataset.load(dir)).hasMessageContaining("dev.jsonl and test.jsonl")
                .hasMessageContaining("all/test-*.parquet");
    }

    @Test
    void questionsNeedFourChoicesAndAValidAnswer() {
        assertThatThrownBy(() -> new MmluQuestion("s", "q", List.of("a", "b", "c", "d"), 4))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
