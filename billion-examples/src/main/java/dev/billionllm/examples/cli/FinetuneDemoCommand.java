package dev.billionllm.examples.cli;

import dev.billionllm.finetune.BeforeAfterDemo;
import dev.billionllm.finetune.TrainingConfig;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code billion finetune-demo}: answers before, LoRA training, answers after. */
@Command(name = "finetune-demo", mixinStandardHelpOptions = true,
        description = {"Fine-tuning demo: a bundled data set teaches the model a new answer to \"who are you?\";",
            "shows held-out answers before and after, the loss going down and the time taken. Offline by default."})
final class FinetuneDemoCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", defaultValue = ModelOptions.DEFAULT_BUNDLED,
            description = "Spec id, local folder or bundled model name (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--data", paramLabel = "FILE", description = "JSONL data instead of the bundled set.")
    Path data;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "finetune-demo-out",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: the demo's 6).")
    Integer epochs;

    @Option(names = "--lr", description = "Learning rate (default: the demo's 3e-3; use ~2e-4 on a real 1B model).")
    Double lr;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() {
        Path folder = ModelOptions.resolve(model, cli.err);
        TrainingConfig.Builder training = BeforeAfterDemo.defaultTraining().toBuilder();
        if (epochs != null) {
            training.optEpochs(epochs);
        }
        if (lr != null) {
            training.optLearningRate(lr);
        }
        PrintStream progress = quiet ? null : new PrintStream(System.err, true, StandardCharsets.UTF_8);
        BeforeAfterDemo.run(new BeforeAfterDemo.Request(folder, FinetuneCommand.baseModelId(model), data, out,
                BeforeAfterDemo.defaultLora(), training.build(), BeforeAfterDemo.HELD_OUT), cli.out, progress);
        return 0;
    }
}
