package dev.billionllm.bench.mmlu;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.billionllm.core.BillionException;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * MMLU questions by subject: the dev split (few-shot examples, 5 per subject) and the test split.
 * Subjects iterate in alphabetical order, as the harness lists its tasks.
 *
 * <p>Reads the layouts users download:
 * <ul>
 *   <li>the original archive ({@code data.tar} of hendrycks/test): {@code dev/{subject}_dev.csv} and
 *       {@code test/{subject}_test.csv}, no header, columns question, A, B, C, D, answer letter;
 *   <li>JSONL: {@code dev.jsonl} and {@code test.jsonl}, one object per line with {@code subject},
 *       {@code question}, {@code choices} (4 strings) and {@code answer} (0-3 or "A"-"D"), which is
 *       what {@code datasets}' {@code to_json} writes for cais/mmlu;
 *   <li>the cais/mmlu parquet files ({@code all/dev-*.parquet}, {@code all/test-*.parquet} or the
 *       per-subject folders), read by a small built-in reader (see {@link #readParquet}).
 * </ul>
 *
 * @param dev few-shot questions per subject, in file order
 * @param test evaluated questions per subject, in file order
 */
public record MmluDataset(Map<String, List<MmluQuestion>> dev, Map<String, List<MmluQuestion>> test) {

    public MmluDataset {
        dev = copy(dev);
        test = copy(test);
    }

    private static Map<String, List<MmluQuestion>> copy(Map<String, List<MmluQuestion>> m) {
        Map<String, List<MmluQuestion>> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return Collections.unmodifiableMap(out);
    }

    /** Subjects that have test questions, alphabetically. */
    public List<String> subjects() {
        return List.copyOf(test.keySet());
    }

    /**
     * Reads {@code path}: a folder with {@code dev/} and {@code test/} CSV folders (or a {@code data/}
     * folder holding them), a folder with {@code dev.jsonl} and {@code test.jsonl}, or a cais/mmlu
     * download holding parquet files.
     *
     * @throws BillionException naming the folder and what it expected when neither layout is there
     */
    public static MmluDataset load(Path path) {
        if (Files.isDirectory(path.resolve("data").resolve("test"))) {
            return readCsv(path.resolve("data"));
        }
        if (Files.isDirectory(path.resolve("test"))) {
            return readCsv(path);
        }
        if (Files.isRegularFile(path.resolve("test.jsonl"))) {
            return readJsonl(path.resolve("dev.jsonl"), path.resolve("test.jsonl"));
        }
        if (!parquetFiles(path, "test").isEmpty()) {
            return readParquet(path);
        }
        throw new BillionException("no MMLU data in " + path + ": expected dev/ and test/ folders of {subject}_dev.csv "
                + "and {subject}_test.csv (optionally under data/), dev.jsonl and test.jsonl, or cais/mmlu parquet "
                + "files (all/test-*.parquet or {subject}/test-*.parquet)");
    }

    /**
     * Reads cais/mmlu parquet files under {@code dir}: {@code all/{split}-*.parquet} when present
     * (the repository's combined config), else every {@code {subject}/{split}-*.parquet} or
     * {@code {split}-*.parquet} up to two folders down. Columns {@code question}, {@code choices}
     * (list of 4 strings), {@code answer} (0-3 or a letter) and {@code subject} (else the folder name).
     */
    public static MmluDataset readParquet(Path dir) {
        return new MmluDataset(readParquetSplit(dir, "dev"), readParquetSplit(dir, "test"));
    }

    private static Map<String, List<MmluQuestion>> readParquetSplit(Path dir, String split) {
        Map<String, List<MmluQuestion>> out = new TreeMap<>();
        for (Path f : parquetFiles(dir, split)) {
            List<Map<String, Object>> rows = ParquetRows.read(f);
            for (int i = 0; i < rows.size(); i++) {
                Map<String, Object> row = rows.get(i);
                String where = f + " row " + i;
                Object subject = row.get("subject");
                String s = subject instanceof String str && !str.isEmpty() ? str
                        : f.getParent().getFileName().toString();
                if (!(row.get("question") instanceof String question)) {
                    throw new BillionException(where + ": missing string column \"question\"");
                }
                if (!(row.get("choices") instanceof List<?> choices)) {
                    throw new BillionException(where + ": missing list column \"choices\"");
                }
                Object answer = row.get("answer");
                int index;
                if (answer instanceof Long l) {
                    index = l.intValue();
                } else if (answer instanceof String letter) {
                    index = answerIndex(letter, where);
                } else {
                    throw new BillionException(where + ": missing column \"answer\" (0-3 or A-D)");
                }
                try {
                    out.computeIfAbsent(s, k -> new ArrayList<>()).add(
                            new MmluQuestion(s, question, choices.stream().map(String::valueOf).toList(), index));
                } catch (IllegalArgumentException e) {
                    throw new BillionException(where + ": " + e.getMessage(), e);
                }
            }
        }
        return out;
    }

    /** {@code split}-*.parquet files under {@code dir}, preferring the combined {@code all/} config. */
    private static List<Path> parquetFiles(Path dir, String split) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        Path all = dir.resolve("all");
        Path root = Files.isDirectory(all) ? all : dir;
        try (Stream<Path> files = Files.walk(root, 2)) {
            return files.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith(split + "-") && name.endsWith(".parquet") && Files.isRegularFile(p);
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** Reads {@code dataDir/dev/*_dev.csv} and {@code dataDir/test/*_test.csv}. */
    public static MmluDataset readCsv(Path dataDir) {
        return new MmluDataset(readCsvSplit(dataDir.resolve("dev"), "_dev.csv"),
                readCsvSplit(dataDir.resolve("test"), "_test.csv"));
    }

    private static Map<String, List<MmluQuestion>> readCsvSplit(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) {
            throw new BillionException("MMLU folder " + dir + " is missing");
        }
        Map<String, List<MmluQuestion>> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        if (files.isEmpty()) {
            throw new BillionException("no *" + suffix + " files in " + dir);
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            String subject = name.substring(0, name.length() - suffix.length());
            out.put(subject, readCsvFile(f, subject));
        }
        return out;
    }

    /** Reads one headerless per-subject CSV file (question, A, B, C, D, answer letter). */
    public static List<MmluQuestion> readCsvFile(Path file, String subject) {
        List<MmluQuestion> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (CSVRecord rec : CSVFormat.RFC4180.parse(r)) {
                if (rec.size() != 6) {
                    throw new BillionException(file + " record " + rec.getRecordNumber()
                            + ": expected 6 columns (question, A, B, C, D, answer), found " + rec.size());
                }
                out.add(new MmluQuestion(subject, rec.get(0), List.of(rec.get(1), rec.get(2), rec.get(3), rec.get(4)),
                        answerIndex(rec.get(5), file + " record " + rec.getRecordNumber())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new BillionException(file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Reads a dev and a test JSONL file (see the class comment for the fields). */
    public static MmluDataset readJsonl(Path dev, Path test) {
        return new MmluDataset(readJsonlFile(dev), readJsonlFile(test));
    }

    /** Reads one JSONL file into questions per subject. */
    public static Map<String, List<MmluQuestion>> readJsonlFile(Path file) {
        Map<String, List<MmluQuestion>> out = new TreeMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1);
            try {
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                String subject = required(o, "subject", where).getAsString();
                List<String> choices = new ArrayList<>();
                required(o, "choices", where).getAsJsonArray().forEach(c -> choices.add(c.getAsString()));
                JsonElement answer = required(o, "answer", where);
                int index = answer.getAsJsonPrimitive().isNumber() ? answer.getAsInt()
                        : answerIndex(answer.getAsString(), where);
                out.computeIfAbsent(subject, k -> new ArrayList<>())
                        .add(new MmluQuestion(subject, required(o, "question", where).getAsString(), choices, index));
            } catch (JsonParseException | IllegalStateException | UnsupportedOperationException
                    | IllegalArgumentException e) {
                throw new BillionException(where + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static JsonElement required(JsonObject o, String field, String where) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            throw new BillionException(where + ": missing field \"" + field + "\"");
        }
        return e;
    }

    private static int answerIndex(String letter, String where) {
        int i = MmluQuestion.LETTERS.indexOf(letter.strip());
        if (i < 0) {
            throw new BillionException(where + ": answer must be A, B, C or D, found \"" + letter + "\"");
        }
        return i;
    }
}
