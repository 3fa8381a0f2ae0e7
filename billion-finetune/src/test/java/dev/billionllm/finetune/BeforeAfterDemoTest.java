package dev.billionllm.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.testing.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled demo teaches the tiny model its new answer, on prompts it never trained on. */
class BeforeAfterDemoTest {
    @TempDir
    Path out;

    @Test
    void demoLowersHeldOutLossAndChangesTheAnswers() throws Exception {
        StringWriter text = new StringWriter();
        BeforeAfterDemo.Result r = BeforeAfterDemo.run(new BeforeAfterDemo.Request(Fixtures.dir("tiny-tinyllama"),
                "tiny-tinyllama", null, out, BeforeAfterDemo.defaultLora(), BeforeAfterDemo.defaultTraining(),
                BeforeAfterDemo.HELD_OUT), new PrintWriter(text, true), FineTuner.nowhere());
        System.out.println(text);
        r.training().log().stream().limit(5).forEach(System.out::println);
        assertThat(r.training().evalAfter()).isLessThan(r.training().evalBefore() / 2);
        assertThat(r.before()).noneMatch(a -> a.contains(BeforeAfterDemo.TAUGHT));
        assertThat(r.after()).allMatch(a -> a.contains(BeforeAfterDemo.TAUGHT));
        assertThat(out.resolve("adapter").resolve(LoraAdapter.WEIGHTS_FILE)).exists();
        assertThat(out.resolve(FineTuner.LOSS_PNG)).exists();
        assertThat(Files.readAllLines(out.resolve(FineTuner.LOSS_CSV))).hasSize(r.training().log().size() + 1);
    }
}
