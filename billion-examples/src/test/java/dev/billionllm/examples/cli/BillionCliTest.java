package dev.billionllm.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.hub.FakeHub;
import dev.billionllm.core.testing.ChildJvm;
import dev.billionllm.core.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Drives every command in-process on the bundled tiny models. */
class BillionCliTest {

    record Run(int code, String out, String err) {}

    static Run run(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BillionCli.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    static String model(String name) {
        return Fixtures.dir(name).toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2", "tiny-pythia"})
    void generateJsonReproducesGoldenGreedyIds(String name) throws Exception {
        JsonObject golden = JsonParser.parseString(
                Files.readString(Fixtures.dir(name).resolve("golden.json"))).getAsJsonObject();
        JsonArray promptIds = golden.getAsJsonArray("prompts").get(0).getAsJsonObject().getAsJsonArray("input_ids");
        JsonArray expected = golden.getAsJsonArray("generation").get(0).getAsJsonObject()
                .getAsJsonArray("greedy_new_ids");
        String ids = StreamSupport.stream(promptIds.spliterator(), false).map(e -> e.getAsString())
                .collect(Collectors.joining(","));

        // Exactness is checked on the fp32 PyTorch path, named explicitly: the default runs an int8 export.
        Run r = run("", "generate", "--model", model(name), "--precision", "fp32", "--prompt-ids", ids, "--greedy",
                "--max-new-tokens", String.valueOf(expected.size()), "--json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertThat(json.getAsJsonArray("prompt_ids")).isEqualTo(promptIds);
        // Generation may end on eos before 24 tokens; the goldens then stop there too.
        JsonArray got = json.getAsJsonArray("new_ids");
        List<Integer> gotIds = new ArrayList<>();
        got.forEach(e -> gotIds.add(e.getAsInt()));
        List<Integer> want = new ArrayList<>();
        expected.forEach(e -> want.add(e.getAsInt()));
        assertThat(want).startsWith(gotIds.toArray(Integer[]::new));
        assertThat(json.get("finish_reason").getAsString()).isIn("length", "eos");
        if (json.get("finish_reason").getAsString().equals("length")) {
            assertThat(gotIds).isEqualTo(want);
        }
        assertThat(json.getAsJsonObject("timings").get("decode_tokens_per_second").getAsDouble()).isPositive();
    }

    @Test
    void generateTextStreamsToStdout() {
        Run r = run("", "generate", "-m", model("tiny-tinyllama"), "-p", "the cat sat on", "--greedy", "-n", "8");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isNotEmpty();
        assertThat(r.err()).contains("prompt tokens").contains("tok/s");
    }

    @Test
    void chatTwoTurnsWithReset() {
        Run r = run("hello, who are you?\n/reset\nhello, who are you?\n/exit\n",
                "chat", "-m", model("tiny-tinyllama"), "--greedy", "-n", "20");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("[conversation cleared]");
        List<String> answers = r.out().lines().filter(l -> l.startsWith("assistant> ")).collect(Collectors.toList());
        assertThat(answers).hasSize(2);
        // After /reset the second turn sees the same conversation as the first, so greedy repeats it.
        assertThat(answers.get(1)).isEqualTo(answers.get(0));
        assertThat(answers.get(0).length()).isGreaterThan("assistant> ".length());
    }

    @Test
    void chatKeepsHistoryAcrossTurns() {
        Run r = run("hello, who are you?\nhello, who are you?\n", "chat", "-m", model("tiny-tinyllama"),
                "--greedy", "-n", "12", "--system", "You are terse.");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("assistant> ")).count()).isEqualTo(2);
    }

    @Test
    void chatOnAFreshCacheExportsOnceThenReusesTheExport(@TempDir Path tmp) throws Exception {
        // A copy of the fixture has its own fingerprint, so the shared test cache has no export of it yet.
        Path copy = Files.createDirectories(tmp.resolve("fresh-tinyllama"));
        try (var files = Files.list(Fixtures.dir("tiny-tinyllama"))) {
            for (Path f : files.collect(Collectors.toList())) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Run first = run("hello, who are you?\n/exit\n", "chat", "-m", copy.toString(), "--greedy", "-n", "12");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).contains("[int8 ONNX export (default: ").contains("export int8 fresh-tinyllama")
                .contains("100%").contains("export cached at");
        assertThat(first.out()).contains("Chatting with fresh-tinyllama (int8)");

        Run second = run("hello, who are you?\n/exit\n", "chat", "-m", copy.toString(), "--greedy", "-n", "12");
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.err()).contains("[int8 ONNX export (default: ").doesNotContain("export int8")
                .doesNotContain("export cached at");
        assertThat(answers(second)).isEqualTo(answers(first));

        Run list = run("", "cache", "list");
        assertThat(list.out()).contains("fresh-tinyllama-").contains("int8-u8-v");
        Run clear = run("", "cache", "clear", "--model", "fresh-tinyllama-");
        assertThat(clear.out()).contains("removed 1 export(s)");
        assertThat(run("", "cache", "list").out()).doesNotContain("fresh-tinyllama-");
    }

    @Test
    void fp32AndPytorchOverridesSkipTheExport() {
        for (String[] flags : List.of(new String[] {"--precision", "fp32"}, new String[] {"--backend", "pytorch"})) {
            Run r = run("", "generate", "-m", model("tiny-tinyllama"), flags[0], flags[1], "-p", "the cat sat on",
                    "--greedy", "-n", "4", "--json");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(JsonParser.parseString(r.out()).getAsJsonObject().get("backend").getAsString())
                    .isEqualTo("pytorch");
            assertThat(r.err()).doesNotContain("ONNX export");
        }
        Run bad = run("", "generate", "-m", model("tiny-tinyllama"), "--backend", "pytorch", "--precision", "int4",
                "-p", "hi");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("fp32 only");
    }

    @Test
    void precisionAutoIsForLoadingNotForExporting(@TempDir Path tmp) {
        Run export = run("", "export", "-m", model("tiny-tinyllama"), "-o", tmp.resolve("out").toString(),
                "--precision", "auto");
        assertThat(export.code()).isEqualTo(2);
        assertThat(export.err()).contains("AUTO is for loading").contains("FP32, INT8 or INT4");
        Run adapted = run("", "generate", "-m", model("tiny-tinyllama"), "--precision", "int8", "--adapter",
                Fixtures.dir("tiny-tinyllama-lora-peft").toString(), "-p", "hi", "-n", "2");
        assertThat(adapted.code()).isEqualTo(2);
        assertThat(adapted.err()).contains("cannot run LoRA adapters").contains("billion export --adapter");
    }

    private static List<String> answers(Run r) {
        return r.out().lines().filter(l -> l.startsWith("assistant> ")).collect(Collectors.toList());
    }

    @Test
    void compareShowsEveryModel() {
        Run r = run("", "compare", "--models", model("tiny-tinyllama") + "," + model("tiny-llama32"),
                "-p", "the cat sat on", "--greedy", "-n", "8", "--width", "160");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("tiny-tinyllama").contains("tiny-llama32").contains("tok/s");
        Run narrow = run("", "compare", "--models", model("tiny-tinyllama") + "," + model("tiny-pythia"),
                "-p", "one two", "--greedy", "-n", "4", "--width", "40");
        assertThat(narrow.code()).as(narrow.err()).isZero();
        assertThat(narrow.out()).contains("== tiny-tinyllama").contains("== tiny-pythia");
    }

    @Test
    void modelsListsSeedSpecsAndBundledModels() {
        Run r = run("", "models");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("tinyllama", "llama-3.2-1b", "stablelm-2-1.6b", "pythia-1b", "tiny-tinyllama");
    }

    @Test
    void demoRunsOnTheBundledDefault() {
        Run r = run("", "demo");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("bundled small model");
        assertThat(r.out()).contains("greedy:").contains("assistant:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "models", "download", "generate", "chat", "compare", "export", "cache", "mmlu",
        "perplexity", "bench"})
    void everyCommandHasHelp(String command) {
        Run r = run("", command, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: billion " + command);
    }

    @Test
    void versionAndCompletion() {
        assertThat(run("", "--version").out()).contains("billion");
        Run completion = run("", "generate-completion");
        assertThat(completion.code()).isZero();
        assertThat(completion.out()).contains("complete -F").contains("generate");
    }

    @Test
    void exportInt8ThenGenerateOnOnnxRuntime(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("tiny-int8");
        Run export = run("", "export", "-m", model("tiny-tinyllama"), "-o", out.toString(), "--precision", "int8");
        assertThat(export.code()).as(export.err()).isZero();
        assertThat(out.resolve("model.onnx")).exists();
        JsonObject meta = JsonParser.parseString(Files.readString(out.resolve("billion-export.json"))).getAsJsonObject();
        assertThat(meta.get("int8_encoding").getAsString()).isEqualTo("u8");

        // The reproduction: "the cat sat on" by ids, 8 greedy tokens. Full-range int8 left
        // transformers' tokens at the 3rd on AVX2-only CPUs; uint8 weights keep all 8 on every CPU.
        String[] args = {"--prompt-ids", "1,705,624", "-n", "8", "--temperature", "0", "--json"};
        Run onnx = run("", concat(new String[] {"generate", "-m", out.toString(), "--backend", "onnxruntime"}, args));
        Run pt = run("", concat(new String[] {"generate", "-m", model("tiny-tinyllama")}, args));
        assertThat(onnx.code()).as(onnx.err()).isZero();
        JsonObject o = JsonParser.parseString(onnx.out()).getAsJsonObject();
        JsonObject p = JsonParser.parseString(pt.out()).getAsJsonObject();
        assertThat(o.get("backend").getAsString()).isEqualTo("onnxruntime");
        assertThat(o.getAsJsonArray("new_ids")).isEqualTo(p.getAsJsonArray("new_ids"));

        Run s7 = run("", "export", "-m", model("tiny-tinyllama"), "-o", tmp.resolve("s7").toString(), "--precision",
                "int8", "--int8-encoding", "S7");
        assertThat(s7.code()).as(s7.err()).isZero();
        Run bad = run("", "export", "-m", model("tiny-tinyllama"), "-o", tmp.resolve("x").toString(),
                "--int8-encoding", "s9");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("u8, s7 or s8");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void perplexityEqualsTheLibraryValue(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path text = tmp.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat. one plus two is three. letters: a b c d e f.");
        Run r = run("", "perplexity", "-m", model("tiny-tinyllama"), "--text", text.toString(),
                "--window", "16", "--stride", "8");
        assertThat(r.code()).as(r.err()).isZero();
        double expected;
        try (dev.billionllm.core.Model m = dev.billionllm.core.Model.load(Fixtures.dir("tiny-tinyllama"))) {
            expected = dev.billionllm.bench.score.Perplexity.ofText(m.lm(), m.tokenizer(), Files.readString(text), 16, 8)
                    .perplexity();
        }
        assertThat(r.out()).contains(String.format(java.util.Locale.ROOT, "perplexity %.4f", expected));
    }

    @Test
    void mmluScoresEverySubject(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("data/dev"));
        Files.createDirectories(tmp.resolve("data/test"));
        Files.writeString(tmp.resolve("data/dev/arithmetic_dev.csv"), "one plus two is,two,three,four,five,B\n");
        Files.writeString(tmp.resolve("data/test/arithmetic_test.csv"),
                "two plus two is,four,one,six,ten,A\nthree plus two is,two,five,nine,one,B\n");
        Run r = run("", "mmlu", "-m", model("tiny-tinyllama"), "--data", tmp.resolve("data").toString(), "--shots", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("arithmetic").containsPattern("1-shot: micro accuracy [01]\\.\\d{4} \\([0-2]/2\\)");
    }

    @Test
    void benchWritesReportsForABundledModel(@org.junit.jupiter.api.io.TempDir Path tmp) {
        Run r = run("", "bench", "-m", "tiny-tinyllama", "--pp", "8", "--tg", "4", "--reps", "1", "--warmup", "0",
                "--out", tmp.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(tmp.resolve("tiny-tinyllama.md")).exists();
        assertThat(tmp.resolve("tiny-tinyllama.json")).exists();
        assertThat(r.out()).contains("pp8").contains("tg4");
    }

    @Test
    void unknownModelIsAClearError() {
        Run r = run("", "generate", "-m", "no-such-model", "-p", "hi");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown model 'no-such-model'").contains("tinyllama").contains("org/name");
    }

    /**
     * The documented path for any Hub model: download it, then run it by repo id, offline. In child
     * JVMs, because the Hub endpoint and cache come from the environment as they do for users.
     */
    @Test
    void downloadANonSpecRepoThenGenerateByRepoIdOffline(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        String main = BillionCli.class.getName();
        List<String> cp = ChildJvm.testClassPath(e -> true);
        Map<String, String> env = new HashMap<>(Map.of("HF_HUB_CACHE", tmp.resolve("hub").toString(),
                "HF_HUB_DISABLE_PROGRESS_BARS", "1"));
        env.put("HF_HUB_OFFLINE", null);
        // generate's int8 export goes to the test's own folder, never the user's ~/.cache
        env.put("BILLION_CACHE_DIR", tmp.resolve("exports").toString());
        ChildJvm.Result download;
        try (FakeHub hub = new FakeHub()) {
            hub.add(FakeHub.Repo.ofFolder("testorg/some-model", "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
                    Fixtures.dir("tiny-llama32")));
            env.put("HF_ENDPOINT", hub.endpoint());
            download = ChildJvm.run(main, cp, env, "download", "testorg/some-model");
        }
        assertThat(download.code()).as(download.err()).isZero();
        assertThat(download.out().strip()).endsWith("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567");

        // The fake Hub is gone: generation must come from the cache alone.
        env.put("HF_HUB_OFFLINE", "1");
        ChildJvm.Result generate = ChildJvm.run(main, cp, env, "generate", "--model", "testorg/some-model",
                "-p", "the cat sat on", "--greedy", "-n", "4", "--json");
        assertThat(generate.code()).as(generate.err()).isZero();
        JsonObject json = JsonParser.parseString(generate.out()).getAsJsonObject();
        assertThat(json.get("model").getAsString()).contains("models--testorg--some-model");
        Run local = run("", "generate", "-m", model("tiny-llama32"), "-p", "the cat sat on", "--greedy", "-n", "4",
                "--json");
        assertThat(json.getAsJsonArray("new_ids"))
                .isEqualTo(JsonParser.parseString(local.out()).getAsJsonObject().getAsJsonArray("new_ids"));
    }

    @Test
    void backendOptionsReachTheBackend() {
        Run ok = run("", "generate", "-m", model("tiny-tinyllama-onnx"), "--backend-option", "spinning=false",
                "--backend-option", "optimization=basic", "-p", "the cat sat on", "--greedy", "-n", "2");
        assertThat(ok.code()).as(ok.err()).isZero();
        Run bad = run("", "generate", "-m", model("tiny-tinyllama-onnx"), "--backend", "onnxruntime",
                "--backend-option", "spinnig=false", "-p", "hi");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("no option \"spinnig\"").contains("spinning");
    }

    @Test
    void benchHelpNamesTheSubcommand() {
        assertThat(run("", "bench", "--help").out()).contains("Usage: billion bench").doesNotContain("Benchmark");
    }

    @Test
    void specNotDownloadedSaysHowToDownload() {
        // HF cache lookups go through the environment; the seed specs are not in any cache here.
        Run r = run("", "generate", "-m", "pythia-1b", "-p", "hi");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("billion download pythia-1b");
    }
}
