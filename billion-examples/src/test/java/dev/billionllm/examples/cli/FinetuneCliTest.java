package dev.billionllm.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.billionllm.core.adapter.LoraAdapter;
import dev.billionllm.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** finetune, merge, export --adapter and --adapter on the generating commands, in-process. */
class FinetuneCliTest {
    @TempDir
    Path tmp;

    static String newIds(BillionCliTest.Run r) {
        assertThat(r.code()).as(r.err()).isZero();
        return JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("new_ids").toString();
    }

    @Test
    void adapterFlagMergeAndExportAgree() {
        String base = BillionCliTest.model("tiny-tinyllama");
        String adapter = Fixtures.dir("tiny-tinyllama-lora-peft").toString();
        String[] gen = {"generate", "--prompt", "the cat sat on", "--greedy", "--max-new-tokens", "16", "--json"};
        String unmerged = newIds(BillionCliTest.run("", concat(gen, "-m", base, "--adapter", adapter)));
        String mergedAtLoad = newIds(BillionCliTest.run("", concat(gen, "-m", base, "--adapter", adapter,
                "--merge-adapter")));
        String plain = newIds(BillionCliTest.run("", concat(gen, "-m", base)));
        Path merged = tmp.resolve("merged");
        BillionCliTest.Run m = BillionCliTest.run("", "merge", "-m", base, "--adapter", adapter, "-o", merged.toString());
        assertThat(m.code()).as(m.err()).isZero();
        String fromFolder = newIds(BillionCliTest.run("", concat(gen, "-m", merged.toString())));
        assertThat(unmerged).isEqualTo(mergedAtLoad).isEqualTo(fromFolder).isNotEqualTo(plain);

        BillionCliTest.Run e = BillionCliTest.run("", "export", "-m", base, "--adapter", adapter, "--precision", "FP32",
                "-o", tmp.resolve("onnx").toString());
        assertThat(e.code()).as(e.err()).isZero();
        String onnx = newIds(BillionCliTest.run("", concat(gen, "-m", tmp.resolve("onnx").toString(), "--backend",
                "onnxruntime")));
        assertThat(onnx).isEqualTo(unmerged);

        BillionCliTest.Run refused = BillionCliTest.run("", concat(gen, "-m", base, "--adapter", adapter, "--backend",
                "onnxruntime"));
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("billion export --adapter");
    }

    @Test
    void finetuneWritesAPeftAdapterTheOtherCommandsLoad() throws Exception {
        Path data = tmp.resolve("data.jsonl");
        Files.writeString(data, "{\"prompt\": \"user: hi, who are you? assistant:\", \"completion\": \" the red frog is happy.\"}\n"
                .repeat(8) + "{\"text\": \"counting: one two three four\"}\n".repeat(4));
        Path out = tmp.resolve("run");
        BillionCliTest.Run r = BillionCliTest.run("", "finetune", "-m", "tiny-tinyllama", "--data", data.toString(),
                "--out", out.toString(), "--epochs", "1", "--batch-size", "2", "--grad-accum", "2", "--rank", "4",
                "--targets", "q_proj,k_proj,v_proj,o_proj", "--save-every", "2", "--lr", "1e-3", "--quiet");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("held-out loss");
        Path adapter = out.resolve("adapter");
        assertThat(adapter.resolve(LoraAdapter.WEIGHTS_FILE)).exists();
        assertThat(out.resolve("checkpoint-2").resolve("optimizer.safetensors")).exists();
        assertThat(LoraAdapter.load(adapter).config().baseModel()).isEqualTo("tiny-tinyllama");
        BillionCliTest.Run ppl = BillionCliTest.run("", "perplexity", "-m", "tiny-tinyllama", "--adapter",
                adapter.toString(), "--text", data.toString(), "--window", "32", "--stride", "16");
        assertThat(ppl.code()).as(ppl.err()).isZero();
        assertThat(ppl.out()).contains("perplexity");
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
