package dev.billionllm.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.bench.mmlu.MmluResult;
import dev.billionllm.bench.mmlu.SubjectScore;
import dev.billionllm.bench.score.PerplexityResult;
import dev.billionllm.bench.speed.Environment;
import dev.billionllm.bench.speed.MemorySnapshot;
import dev.billionllm.bench.speed.SpeedResult;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportsTest {

    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final Environment ENV = new Environment("Test CPU", 2, "Linux 6", "OpenJDK 17", "0.36.0", "2.7.1",
            "1.21.1", "PASSIVE", List.of("avx2", "avx512f", "avx512_vnni"));

    static ModelReport randomWeights() {
        return new ModelReport("tinyllama", "pytorch", "cpu", 2, true, 1_100_048_384L, 4_400_193_536L, 3.5,
                List.of(new SpeedResult("pp128", 128, 3, 250.5, 4.25, 511, 511, 3.99, 4.1, 2_883_584),
                        new SpeedResult("tg128", 128, 3, 12.5, 0.5, 10240, 85, 79.5, 90.25, 2_883_584)),
                new MemorySnapshot(5_000_000_000L, 4_800_000_000L, 200_000_000L, 3_000_000_000L), null, null, ENV,
                "2026-11-26T12:00:00Z");
    }

    static ModelReport scored() {
        return new ModelReport("tiny-tinyllama", "pytorch", "cpu", 0, false, 200_000, 800_000, 0.2, List.of(),
                new MemorySnapshot(-1, -1, 100, 1000),
                new MmluResult(5, 10, List.of(new SubjectScore("astronomy", 3, 10), new SubjectScore("virology", 1, 4))),
                new PerplexityResult(12.5, Math.log(12.5), 99, 2, 64, 32), ENV, "2026-11-26T12:00:00Z");
    }

    @Test
    void markdownHasEveryTableAndMarksRandomWeights() {
        String md = Reports.markdown(List.of(randomWeights(), scored()), "img/");
        assertThat(md).contains("**Environment:** Test CPU [avx2 avx512f avx512_vnni], 2 logical cores; Linux 6; OpenJDK 17; DJL 0.36.0, "
                + "PyTorch 2.7.1, ONNX Runtime 1.21.1; OMP_WAIT_POLICY PASSIVE.");
        assertThat(md).contains("| tinyllama (random weights) | pytorch | cpu | 2 | pp128 | 250.50 | 4.25 | 511.00 | 3.99 "
                + "| 4.10 | 3 |");
        assertThat(md).contains("| tinyllama (random weights) | 1.100 B | 4.10 GiB | 2.8 MiB | 4.66 GiB | 190.7 MiB | 3.50 |");
        assertThat(md).contains("| tiny-tinyllama | 5 | 10 | 2 | 14 | 0.2857 | 0.2750 |");
        assertThat(md).contains("| astronomy | 3 | 10 | 0.3000 |");
        assertThat(md).contains("| tiny-tinyllama | 12.5000 | 2.5257 | 99 | 64 | 32 |");
        assertThat(md).contains("![tokens per second](img/tokens-per-second.png)");
        assertThat(md).contains("| tiny-tinyllama | 0.000 B | 0.8 MiB | n/a | n/a |");
    }

    @Test
    void csvHasAHeaderAndOneRowPerFigure() throws IOException {
        String csv = Reports.csv(List.of(randomWeights(), scored()));
        List<CSVRecord> rows = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(csv)).getRecords();
        assertThat(rows).hasSizeGreaterThan(10);
        assertThat(rows.get(0).toMap()).containsEntry("model", "tinyllama").containsEntry("random_weights", "true")
                .containsEntry("metric", "pp128.tokens_per_second").containsEntry("value", "250.5")
                .containsEntry("unit", "tok/s");
        assertThat(rows).anySatisfy(r -> {
            assertThat(r.get("metric")).isEqualTo("mmlu.5shot.micro_acc");
            assertThat(Double.parseDouble(r.get("value"))).isEqualTo(4.0 / 14);
        });
    }

    @Test
    void jsonRoundTripsTheFigures() {
        JsonObject root = JsonParser.parseString(Reports.json(List.of(randomWeights(), scored()))).getAsJsonObject();
        JsonObject first = root.getAsJsonArray("reports").get(0).getAsJsonObject();
        assertThat(first.get("label").getAsString()).isEqualTo("tinyllama (random weights)");
        assertThat(first.getAsJsonArray("speed").get(1).getAsJsonObject().get("tokenMillisP90").getAsDouble())
                .isEqualTo(90.25);
        JsonObject second = root.getAsJsonArray("reports").get(1).getAsJsonObject();
        assertThat(second.getAsJsonObject("mmlu").get("macroAccuracy").getAsDouble()).isEqualTo(0.275);
        assertThat(second.getAsJsonObject("environment").get("cpuModel").getAsString()).isEqualTo("Test CPU");
    }

    @Test
    void jsonReadsBackIntoEqualReports() {
        List<ModelReport> reports = List.of(randomWeights(), scored());
        assertThat(Reports.readJson(Reports.json(reports), "mem")).isEqualTo(reports);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Reports.readJson("[1]", "x.json"))
                .hasMessageContaining("x.json is not a billion-bench JSON report");
    }

    @Test
    void writeAllProducesValidPngChartsAndNonEmptyTables(@TempDir Path dir) throws IOException {
        Reports.writeAll(List.of(randomWeights(), scored()), dir, "run");
        for (String png : List.of(Charts.TOKENS_PER_SECOND, Charts.MEMORY, Charts.ACCURACY)) {
            byte[] bytes = Files.readAllBytes(dir.resolve(png));
            assertThat(bytes.length).as(png).isGreaterThan(1000);
            assertThat(Arrays.copyOf(bytes, 8)).as(png).isEqualTo(PNG);
        }
        assertThat(Files.readString(dir.resolve("run.md"))).contains("## Speed", "## Memory", "## MMLU");
        assertThat(Files.readAllLines(dir.resolve("run.csv"))).hasSizeGreaterThan(10);
        assertThat(Files.readString(dir.resolve("run.json"))).startsWith("{");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void comparisonWritesTheDocumentWithItsChartsAndData(@TempDir Path docs) throws IOException {
        Path md = Comparison.write(List.of(randomWeights(), scored()), docs, "java Benchmark --all");
        assertThat(md).isEqualTo(docs.resolve("COMPARISON.md"));
        String text = Files.readString(md);
        assertThat(text).startsWith("# Model comparison").contains("java Benchmark --all")
                .contains("![memory](comparison/memory.png)").contains("(random weights)");
        for (String f : List.of("comparison/memory.png", "comparison/tokens-per-second.png",
                "comparison/mmlu-accuracy.png", "comparison/comparison.csv", "comparison/comparison.json")) {
            assertThat(docs.resolve(f)).isNotEmptyFile();
        }
        // hand-written sections after the marker survive a regeneration; what came before is replaced
        Files.writeString(md, "stale generated text\n" + Comparison.KEPT_MARKER + "\n## llama.cpp\nmeasured by hand\n");
        String again = Files.readString(Comparison.write(List.of(randomWeights()), docs, "java Benchmark --again"));
        assertThat(again).startsWith("# Model comparison").contains("java Benchmark --again")
                .doesNotContain("stale generated text").endsWith(Comparison.KEPT_MARKER + "\n## llama.cpp\nmeasured by hand\n");
    }
}
