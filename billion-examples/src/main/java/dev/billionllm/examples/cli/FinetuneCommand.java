package dev.billionllm.examples.cli;

import dev.billionllm.core.adapter.LoraConfig;
import dev.billionllm.finetune.FineTuner;
import dev.billionllm.finetune.LrSchedule;
import dev.billionllm.finetune.TrainingConfig;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code billion finetune}: LoRA training on a JSONL file, adapter written in PEFT's format. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Train a LoRA adapter (PEFT format) on a JSONL file of {\"messages\"}, {\"prompt\",\"completion\"}",
            "or {\"text\"} lines, on the PyTorch backend in fp32. Writes OUT/adapter, checkpoints, loss.csv, loss.png."})
final class FinetuneCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", defaultValue = ModelOptions.DEFAULT_BUNDLED,
            description = "Spec id, local folder or bundled model name (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--data", paramLabel = "FILE", required = true, description = "JSONL training data.")
    Path data;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--epochs", defaultValue = "3", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after N optimizer steps; 0 = all epochs.")
    int maxSteps;

    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--schedule", defaultValue = "LINEAR", description = "LINEAR, COSINE or CONSTANT decay (default: ${DEFAULT-VALUE}).")
    LrSchedule.Kind schedule;

    @Option(names = "--warmup-ratio", defaultValue = "0.03", description = "Fraction of steps warming up (default: ${DEFAULT-VALUE}).")
    double warmupRatio;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank r (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "lora_alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--dropout", defaultValue = "0.05", description = "LoRA dropout (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--rslora", description = "Scale by alpha/sqrt(r) (rsLoRA).")
    boolean rslora;

    @Option(names = "--targets", split = ",", defaultValue = "q_proj,v_proj",
            description = "Modules to adapt, Hugging Face names, or all-linear (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(names = "--max-length", defaultValue = "256", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--batch-size", defaultValue = "4", description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per step (default: ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--eval-split", defaultValue = "0.1", description = "Held-out fraction (default: ${DEFAULT-VALUE}).")
    double evalSplit;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global norm clip, 0 = none (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--save-every", defaultValue = "0", description = "Checkpoint every N steps (default: only at the end).")
    int saveEvery;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Torch threads; 0 = engine default.")
    int threads;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue from a checkpoint-N folder of this run.")
    Path resume;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() {
        Path folder = ModelOptions.resolve(model, cli.err);
        LoraConfig lora = LoraConfig.builder().setRank(rank).optAlpha(alpha).optDropout(dropout).optUseRslora(rslora)
                .optTargetModules(targets.size() == 1 && targets.get(0).equals(LoraConfig.ALL_LINEAR)
                        ? List.of(LoraConfig.ALL_LINEAR) : targets)
                .build();
        TrainingConfig training = TrainingConfig.builder().optEpochs(epochs).optMaxSteps(maxSteps).optLearningRate(lr)
                .optSchedule(schedule).optWarmupRatio(warmupRatio).optBatchSize(batchSize).optGradAccum(gradAccum)
                .optMaxLength(maxLength).optEvalSplit(evalSplit).optMaxGradNorm(maxGradNorm).optWeightDecay(weightDecay)
                .optSaveEvery(saveEvery).optSeed(seed).optThreads(threads).build();
        PrintStream progress = quiet ? null : new PrintStream(System.err, true, StandardCharsets.UTF_8);
        FineTuner.Result r = FineTuner.run(new FineTuner.Request(folder, baseModelId(model), data, out, lora, training,
                resume), progress);
        List<FineTuner.LogEntry> log = r.log();
        cli.out.println(r.adapter());
        cli.err.printf(Locale.ROOT, "[%d steps, %d train / %d held-out examples, %.1f s; train loss %.4f -> %.4f; "
                + "held-out loss %.4f -> %.4f; peak RSS %d MB; %s, %s]%n", log.size(), r.trainExamples(),
                r.evalExamples(), r.time().toMillis() / 1000.0, log.get(0).loss(), log.get(log.size() - 1).loss(),
                r.evalBefore(), r.evalAfter(), r.peakRssKb() / 1024, out.resolve(FineTuner.LOSS_CSV),
                out.resolve(FineTuner.LOSS_PNG));
        return 0;
    }

    /** What the adapter records as its base: the name the user gave, never a local absolute path. */
    static String baseModelId(String reference) {
        Path p = Path.of(reference);
        return Files.isDirectory(p) ? p.toAbsolutePath().normalize().getFileName().toString() : reference;
    }
}
