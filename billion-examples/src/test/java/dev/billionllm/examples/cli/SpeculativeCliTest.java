package dev.billionllm.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The acceptance commands: {@code billion generate -m small-llama-target --draft
 * small-llama-draft --prompt-ids <ids> -n 40 --temperature 0 --json} (and prompt lookup, adaptive
 * length) gives exactly transformers' greedy ids of assisted-generation.json, with the metrics
 * under "speculative"; a mismatched draft is refused with a clear error.
 */
class SpeculativeCliTest {

    /** {prompt ids as "1,2,3", expected new ids}. */
    static List<Object[]> cases() throws IOException {
        Path pair = Fixtures.dir("small-llama-pair");
        List<Object[]> out = new ArrayList<>();
        try (HfTokenizer tok = HfTokenizer.load(pair.resolve("small-llama-target"))) {
            for (JsonElement e : JsonParser.parseString(Files.readString(pair.resolve("assisted-generation.json")))
                    .getAsJsonArray()) {
                int[] prompt = tok.encode(e.getAsJsonObject().get("prompt").getAsString(), true);
                List<Integer> all = new ArrayList<>();
                e.getAsJsonObject().getAsJsonArray("greedy").forEach(x -> all.add(x.getAsInt()));
                String ids = java.util.Arrays.stream(prompt).mapToObj(String::valueOf).collect(Collectors.joining(","));
                out.add(new Object[] {ids, all.subList(prompt.length, all.size())});
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"--draft=small-llama-draft", "--prompt-lookup", "--draft-schedule=adaptive"})
    void generateWithADraftGivesTransformersGreedyIds(String option) throws IOException {
        String target = Fixtures.dir("small-llama-pair/small-llama-target").toString();
        String draft = Fixtures.dir("small-llama-pair/small-llama-draft").toString();
        for (Object[] c : cases()) {
            List<String> args = new ArrayList<>(List.of("generate", "-m", target, "--threads", "1",
                    "--prompt-ids", (String) c[0], "-n", "40", "--temperature", "0", "--json", option));
            if (option.startsWith("--draft-schedule")) {
                args.addAll(List.of("--draft", draft, "--draft-min-prob", "0.2"));
            } else if (option.startsWith("--draft=")) {
                args.set(args.size() - 1, "--draft=" + draft);
            }
            BillionCliTest.Run r = BillionCliTest.run("", args.toArray(new String[0]));
            assertThat(r.code()).as(r.err()).isZero();
            JsonObject o = JsonParser.parseString(r.out().strip()).getAsJsonObject();
            List<Integer> ids = new ArrayList<>();
            o.getAsJsonArray("new_ids").forEach(x -> ids.add(x.getAsInt()));
            assertThat(ids).as(option + " on " + c[0]).isEqualTo(c[1]);
            JsonObject s = o.getAsJsonObject("speculative");
            assertThat(s.get("rounds").getAsInt()).isPositive();
            assertThat(s.has("acceptance_rate") && s.has("draft_ms") && s.has("target_ms")).isTrue();
        }
    }

    @Test
    void speculativeDemoChecksIdenticalOutputsAndWritesAChart(@org.junit.jupiter.api.io.TempDir Path dir) {
        String root = Fixtures.dir("small-llama-pair").toString();
        BillionCliTest.Run r = BillionCliTest.run("", "speculative", "-m", root + "/small-llama-target", "--draft",
                root + "/small-llama-draft", "--mismatched", Fixtures.dir("tiny-tinyllama").toString(), "-n", "8",
                "--repeats", "1", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("prompt lookup").contains("mismatched tiny-tinyllama").doesNotContain(" NO");
        assertThat(dir.resolve("speculative-tokens-per-second.png")).isNotEmptyFile();
    }

    @Test
    void aMismatchedDraftIsRefusedWithTheFix() {
        BillionCliTest.Run r = BillionCliTest.run("", "generate", "-m", Fixtures.dir("tiny-pythia").toString(),
                "--draft", Fixtures.dir("tiny-tinyllama").toString(), "-p", "one two", "-n", "4", "--threads", "1");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("tokenizer differs").contains("--cross-tokenizer");
    }
}
