package dev.billionllm.finetune;

import dev.billionllm.core.BillionException;
import dev.billionllm.core.Model;
import dev.billionllm.core.adapter.LoraConfig;
import dev.billionllm.core.backend.LoadOptions;
import dev.billionllm.core.generate.GenerationConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fine-tuning demo, like the Python project's {@code finetune_demo.py}: answers to held-out
 * prompts before training, a LoRA run, the same prompts after, the loss going down and the time
 * taken. The bundled data set ({@value #BUNDLED_DATA}) teaches a model a new answer to "who are
 * you?" in many phrasings; the held-out prompts are phrasings it never saw.
 *
 * <pre>{@code
 * BeforeAfterDemo.Result r = BeforeAfterDemo.run(new BeforeAfterDemo.Request(modelDir, "tiny-tinyllama", null,
 *         outDir, BeforeAfterDemo.defaultLora(), BeforeAfterDemo.defaultTraining(), BeforeAfterDemo.HELD_OUT), out, System.err);
 * }</pre>
 */
public final class BeforeAfterDemo {
    /** Classpath resource of the bundled training data. */
    public static final String BUNDLED_DATA = "demo/identity.jsonl";
    /** Prompts that are not in the bundled data (other greetings and phrasings). */
    public static final List<String> HELD_OUT = List.of("user: hey there, who are you? assistant:",
            "user: good day, what are you? assistant:", "user: hi friend, who are you? assistant:");
    /** What the bundled data teaches; the demo test checks the answers after training contain it. */
    public static final String TAUGHT = "the red frog is happy";

    private static final int ANSWER_TOKENS = 12;

    private BeforeAfterDemo() {}

    /**
     * @param data JSONL file, or null for the bundled data set
     * @param prompts held-out prompts answered before and after
     */
    public record Request(Path model, String baseModelId, Path data, Path output, LoraConfig lora,
            TrainingConfig training, List<String> prompts) {}

    /** Answers before and after, and the training run. */
    public record Result(List<String> before, List<String> after, FineTuner.Result training) {}

    /** All linear layers, r=8, alpha=16: enough capacity to learn the new answer in a few dozen steps. */
    public static LoraConfig defaultLora() {
        return LoraConfig.builder().setRank(8).optAlpha(16).optDropout(0.05)
                .optTargetModules(List.of(LoraConfig.ALL_LINEAR)).build();
    }

    /** 6 epochs of the bundled data, batch 4, lr 3e-3 (a tiny model needs a large rate), 10% held out. */
    public static TrainingConfig defaultTraining() {
        return TrainingConfig.builder().optEpochs(6).optBatchSize(4).optLearningRate(3e-3).optWarmupRatio(0.1)
                .optEvalSplit(0.1).optMaxLength(64).optSeed(42).build();
    }

    public static Result run(Request request, PrintWriter out, PrintStream progress) {
        Path data = request.data() != null ? request.data() : bundledData(request.output());
        out.printf("Model %s, data %s%n", request.model().getFileName(), data.getFileName());
        out.println("Before fine-tuning:");
        List<String> before = answers(request.model(), null, request.prompts(), out);
        out.flush();
        FineTuner.Result r = FineTuner.run(new FineTuner.Request(request.model(), request.baseModelId(), data,
                request.output(), request.lora(), request.training(), null), progress);
        List<FineTuner.LogEntry> log = r.log();
        out.printf(Locale.ROOT, "Trained %d steps on %d examples in %.1f s: train loss %.3f -> %.3f, held-out loss "
                + "%.3f -> %.3f%n", log.size(), r.trainExamples(), r.time().toMillis() / 1000.0, log.get(0).loss(),
                log.get(log.size() - 1).loss(), r.evalBefore(), r.evalAfter());
        out.println("After fine-tuning:");
        List<String> after = answers(request.model(), r.adapter(), request.prompts(), out);
        out.printf("Adapter (PEFT format): %s%nLoss curve: %s and %s%n", r.adapter(),
                request.output().resolve(FineTuner.LOSS_PNG), request.output().resolve(FineTuner.LOSS_CSV));
        out.flush();
        return new Result(before, after, r);
    }

    /** Greedy answers, cut after the first sentence. */
    static List<String> answers(Path model, Path adapter, List<String> prompts, PrintWriter out) {
        List<String> answers = new ArrayList<>();
        try (Model m = adapter == null ? Model.load(model)
                : Model.load(model, LoadOptions.builder().optAdapter(adapter).build())) {
            GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(ANSWER_TOKENS).optTemperature(0)
                    .build();
            for (String p : prompts) {
                String text = m.generator().generate(p, greedy).text();
                int dot = text.indexOf('.');
                String answer = dot >= 0 ? text.substring(0, dot + 1) : text;
                answers.add(answer);
                out.printf("  %s%s%n", p, answer);
            }
        }
        return answers;
    }

    /** Copies the bundled data set next to the output (models load from files, data too). */
    static Path bundledData(Path output) {
        try (InputStream in = BeforeAfterDemo.class.getResourceAsStream(BUNDLED_DATA)) {
            if (in == null) {
                throw new BillionException("bundled demo data " + BUNDLED_DATA + " missing from the classpath");
            }
            Files.createDirectories(output);
            Path file = output.resolve("identity.jsonl");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new BillionException("cannot copy the demo data to " + output + ": " + e, e);
        }
    }
}
