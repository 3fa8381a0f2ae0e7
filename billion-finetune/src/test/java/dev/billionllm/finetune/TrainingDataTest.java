package dev.billionllm.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.chat.ChatTemplate;
import dev.billionllm.core.chat.ChatTemplates;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three JSONL formats and which tokens each trains. */
class TrainingDataTest {
    @TempDir
    Path tmp;

    static String trainedText(HfTokenizer tok, Example e) {
        int n = 0;
        for (boolean b : e.trained()) {
            n += b ? 1 : 0;
        }
        int[] ids = new int[n];
        int j = 0;
        for (int i = 0; i < e.ids().length; i++) {
            if (e.trained()[i]) {
                ids[j++] = e.ids()[i];
            }
        }
        return tok.decode(ids, false);
    }

    @Test
    void eachFormatTrainsOnlyItsTarget() throws IOException {
        Path file = tmp.resolve("d.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hello, who are you?\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"the red frog is happy.\"}, "
                        + "{\"role\": \"user\", \"content\": \"and then?\"}, {\"role\": \"assistant\", \"content\": \"two plus two is four.\"}]}",
                "",
                "{\"prompt\": \"counting: one two\", \"completion\": \" three four\"}",
                "{\"text\": \"the cat sat on the mat.\"}"));
        try (HfTokenizer tok = HfTokenizer.load(LoraTrainerTest.TINY)) {
            ChatTemplate template = ChatTemplates.load(LoraTrainerTest.TINY, tok);
            List<Example> all = TrainingData.read(file, tok, template, 2, 512);
            assertThat(all).hasSize(3);
            // Both assistant turns with the template's end-of-turn "</s>\n"; no user text.
            String chat = trainedText(tok, all.get(0));
            assertThat(chat).contains("the red frog is happy.").contains("two plus two is four.")
                    .doesNotContain("who are you").doesNotContain("and then").contains("</s>");
            assertThat(trainedText(tok, all.get(1))).doesNotContain("counting").contains("three four").endsWith("</s>");
            assertThat(trainedText(tok, all.get(2))).contains("the cat sat on the mat.");
            assertThat(all.get(2).truncate(3).ids()).hasSize(3);
        }
    }

    @Test
    void badLinesNameFileAndLine() throws IOException {
        Path file = tmp.resolve("bad.jsonl");
        Files.writeString(file, "{\"text\": \"fine\"}\n{\"question\": \"?\"}\n");
        try (HfTokenizer tok = HfTokenizer.load(LoraTrainerTest.TINY)) {
            assertThatThrownBy(() -> TrainingData.read(file, tok, null, 2, 64)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("bad.jsonl:2").hasMessageContaining("\"messages\", \"prompt\"");
            Files.writeString(file, "{not json\n");
            assertThatThrownBy(() -> TrainingData.read(file, tok, null, 2, 64)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("bad.jsonl:1").hasMessageContaining("not valid JSON");
        }
    }

    @Test
    void splitHoldsOutASeededFraction() {
        List<Example> all = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(new Example(new int[] {1, i + 2}, new boolean[] {true, true}));
        }
        TrainingData.Split a = TrainingData.split(all, 0.1, 5);
        assertThat(a.eval()).hasSize(2);
        assertThat(a.train()).hasSize(18);
        assertThat(TrainingData.split(all, 0.1, 5).eval()).isEqualTo(a.eval());
    }
}
