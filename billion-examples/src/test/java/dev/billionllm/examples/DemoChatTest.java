package dev.billionllm.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.examples.cli.BillionCli;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DemoChatTest {

    @Test
    void singleModeIsChatAndCompareModeIsCompare() {
        assertThat(DemoChat.toCliArgs(new String[] {"--model", "tinyllama"}))
                .containsExactly("chat", "--model", "tinyllama");
        assertThat(DemoChat.toCliArgs(new String[] {"--compare", "--models", "a,b", "-p", "x"}))
                .containsExactly("compare", "--models", "a,b", "-p", "x");
    }

    @Test
    void chatsWithPipedInput() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BillionCli.run(new ByteArrayInputStream("hello, who are you?\n".getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err),
                DemoChat.toCliArgs(new String[] {"--model", Fixtures.dir("tiny-tinyllama").toString(), "--greedy", "-n", "8"}));
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("assistant> ");
    }
}
