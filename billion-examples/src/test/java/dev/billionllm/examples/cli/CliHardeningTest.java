package dev.billionllm.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.examples.cli.BillionCliTest.Run;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The command line under hostile input (issue 15): every failure is one {@code error:} line, fast,
 * with the trace only under {@code --verbose}; numbers are range-checked before anything runs.
 */
class CliHardeningTest {
    private static final Duration HANG = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static Run run(String... args) {
        return assertTimeoutPreemptively(HANG, () -> BillionCliTest.run("", args));
    }

    private static void assertOneLineError(Run r, int code, String... contains) {
        assertThat(r.code()).as(r.err()).isEqualTo(code);
        List<String> lines = r.err().lines().filter(l -> l.startsWith("error: ") || l.startsWith("\tat ")).toList();
        assertThat(lines).as(r.err()).hasSize(1);
        for (String c : contains) {
            assertThat(lines.get(0)).contains(c);
        }
    }

    /** A copy of tiny-tinyllama with one file replaced. */
    private Path tinyWith(String file, String content) throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        try (var files = Files.list(Fixtures.dir("tiny-tinyllama"))) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
        }
        Files.writeString(dir.resolve(file), content);
        return dir;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--threads|100000|--threads 100000 is outside the accepted range [0, ",
        "--threads|-1|--threads -1 is outside the accepted range",
        "-n|0|--max-new-tokens 0 is outside the accepted range [1, 2147483647]",
        "--top-p|1.5|--top-p 1.5 is outside the accepted range (0, 1.0]",
        "--temperature|NaN|--temperature NaN is outside the accepted range [0.0, 1000.0]",
        "--top-k|-3|--top-k -3 is outside the accepted range",
    })
    void numericOptionsAreRangeChecked(String option, String value, String message) {
        Run r = run("generate", "-m", BillionCliTest.model("tiny-tinyllama"), "-p", "hi", option, value);
        assertOneLineError(r, 2, message);
    }

    @Test
    void otherCommandsAreCheckedToo() throws IOException {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "some text");
        assertOneLineError(run("perplexity", "-m", BillionCliTest.model("tiny-tinyllama"), "--window", "1",
                "--text", text.toString()), 2, "--window 1 is outside the accepted range [2, ");
        assertOneLineError(run("generate", "-m", BillionCliTest.model("tiny-tinyllama"), "--prompt-ids", "1,-5"),
                2, "--prompt-ids -5 is outside");
    }

    @Test
    void hostileChatTemplateIsOneClearLine() throws IOException {
        Path dir = tinyWith("chat_template.jinja", "{% for i in range(1000) %}{% for j in range(1000) %}"
                + "{% for k in range(1000) %}x{% endfor %}{% endfor %}{% endfor %}");
        // PyTorch reads the template from the folder itself (the default int8 path reads the cached export's copy).
        assertOneLineError(run("generate", "-m", dir.toString(), "--backend", "pytorch", "--chat", "-p", "hi", "-n",
                "2"), 2, "Chat template (" + dir.resolve("chat_template.jinja"), "loop-iteration limit");
    }

    @Test
    void hugeHeadDimIsAConfigErrorNotAnOutOfMemoryError() throws IOException {
        String config = Files.readString(Fixtures.dir("tiny-tinyllama").resolve("config.json"));
        Path dir = tinyWith("config.json", config.replaceFirst("\\{", "{\"head_dim\": 40000, "));
        assertOneLineError(run("generate", "-m", dir.toString(), "-p", "hi", "-n", "2"), 2,
                dir.resolve("config.json") + ": head_dim 40000 is outside the accepted range [1, 1024]");
    }

    @Test
    void aPromptFarLongerThanTheContextIsRefusedBeforeTokenizing() {
        // 10 M characters: tokenizing it took tens of seconds, twice; the bound refuses it at once.
        String prompt = "the cat sat on the mat. ".repeat(420_000);
        assertOneLineError(run("generate", "-m", BillionCliTest.model("tiny-tinyllama"), "-p", prompt, "-n", "2"),
                2, "the prompt has 10080000 characters", "it was not tokenized");
    }

    @Test
    void nonUtf8PerplexityTextNamesTheFile() throws IOException {
        Path text = tmp.resolve("latin1.txt");
        Files.write(text, new byte[] {'c', 'a', 'f', (byte) 0xe9});
        assertOneLineError(run("perplexity", "-m", BillionCliTest.model("tiny-tinyllama"), "--text", text.toString()), 2,
                text + ": not UTF-8 text");
    }

    @Test
    void verboseAddsTheTraceAndUnexpectedErrorsAreNamed() {
        Run r = run("generate", "-m", BillionCliTest.model("tiny-tinyllama"), "-p", "hi", "--threads", "100000",
                "--verbose");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --threads 100000").contains("\tat ");

        assertThat(CliErrors.oneLine(new OutOfMemoryError("Java heap space")))
                .startsWith("out of memory (Java heap space) with a heap of ").contains("--max-new-tokens");
        assertThat(CliErrors.oneLine(new StackOverflowError())).contains("nested too deeply");
        assertThat(CliErrors.oneLine(new ArrayIndexOutOfBoundsException("Index -2147483648 out of bounds\nfor length 0")))
                .isEqualTo("internal error ArrayIndexOutOfBoundsException: Index -2147483648 out of bounds for length 0 "
                        + "(run with --verbose for the stack trace, and please report it)");
        assertThat(CliErrors.oneLine(new IllegalStateException("GET http://u:pw@h/x with Bearer hf_abcdefgh")))
                .isEqualTo("GET http://***@h/x with Bearer ***");
    }

    @Test
    void sigtermEndsTheCli() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Enough work to be running when the signal comes: the whole context, at the most threads allowed.
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                // --backend pytorch: the child has no test cache dir, so the default int8 path would export into
                // the user's ~/.cache (sigtermMidOnnxRunExitsCleanly covers the ONNX path).
                BillionCli.class.getName(), "generate", "-m", BillionCliTest.model("tiny-tinyllama"), "--backend",
                "pytorch", "-p", "the cat", "-n", "100000", "--threads", String.valueOf(NumericOptions.maxThreads()))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        Process p = pb.start();
        try {
            Thread.sleep(3_000);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(new File(tmp.resolve("out.txt").toString())).exists();
    }

    @Test
    void sigtermMidOnnxRunExitsCleanly() throws Exception {
        // ONNX Runtime's own shutdown hook releases its environment; before the CLI handled the signal
        // itself, a session.run in flight then crashed the JVM (exit 134 and an hs_err file).
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = tmp.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dbillion.cache.dir=" + tmp.resolve("cache"), "-cp",
                System.getProperty("java.class.path"), BillionCli.class.getName(), "generate", "-m",
                BillionCliTest.model("tiny-tinyllama"), "--precision", "int8", "-p", "the cat", "-n", "2000")
                .directory(tmp.toFile()).redirectOutput(out.toFile()).redirectError(tmp.resolve("err.txt").toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        Process p = pb.start();
        try {
            // Signal once tokens stream to stdout (the export's progress goes to stderr): session.run is
            // being called in a loop.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (p.isAlive() && Files.size(out) < 200 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(p.isAlive()).as("still generating when signalled: %s", Files.readString(out)).isTrue();
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String text = Files.readString(out) + Files.readString(tmp.resolve("err.txt"));
        assertThat(text).doesNotContain("A fatal error has been detected");
        assertThat(p.exitValue()).as("exit status of SIGTERM, not a crash: %s", text).isEqualTo(143);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("hs_err"));
        }
    }
}
