package dev.billionllm.examples.cli;

import dev.billionllm.core.adapter.MergedModelWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code billion merge}: base model + LoRA adapters into a full safetensors model folder. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Fold PEFT LoRA adapters into a model and write a full safetensors model folder",
            "(config and tokenizer copied) that transformers and every billion command load."})
final class MergeCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", required = true,
            description = "Spec id, local folder or bundled model name (safetensors weights).")
    String model;

    @Option(names = "--adapter", paramLabel = "DIR", required = true, description = "PEFT LoRA adapter folder (repeatable).")
    List<Path> adapters;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "Folder to write.")
    Path output;

    @Override
    public Integer call() {
        Path source = ModelOptions.resolve(model, cli.err);
        long start = System.nanoTime();
        Set<String> changed = MergedModelWriter.write(source, adapters, output);
        cli.out.println(output);
        cli.err.printf("[merged %d adapter(s) into %d tensors of %s in %.1f s]%n", adapters.size(), changed.size(),
                source.getFileName(), (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
