package dev.billionllm.examples.cli;

import dev.billionllm.core.hub.DownloadRequest;
import dev.billionllm.core.hub.FileFilter;
import dev.billionllm.core.hub.HubClient;
import dev.billionllm.core.hub.HubOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code billion download}: a spec id or repo id into the Hugging Face cache shared with Python. */
@Command(name = "download", mixinStandardHelpOptions = true,
        description = {"Download models from the Hugging Face Hub into the cache shared with Python.",
            "HF_TOKEN, HF_HOME, HF_HUB_CACHE, HF_ENDPOINT and HF_HUB_OFFLINE work as in huggingface_hub."})
final class DownloadCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Parameters(paramLabel = "MODEL", arity = "1..*", description = "Spec ids (tinyllama, ...) or repo ids (org/name).")
    List<String> models;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit (default: the spec's, else main).")
    String revision;

    @Option(names = "--all", description = "Every file except pickled checkpoints (default: configs, tokenizer, safetensors).")
    boolean all;

    @Option(names = "--include", paramLabel = "GLOB", description = "Only files matching GLOB (repeatable).")
    List<String> include;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Cache root (default: HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub).")
    Path cacheDir;

    @Option(names = {"-q", "--quiet"}, description = "No progress bars.")
    boolean quiet;

    @Override
    public Integer call() {
        HubOptions.Builder options = HubOptions.fromEnvironment().toBuilder();
        if (cacheDir != null) {
            options.optCacheDir(cacheDir);
        }
        if (quiet) {
            options.optQuiet(true);
        }
        FileFilter filter = FileFilter.select(all, include);
        HubClient hub = new HubClient(options.build());
        for (String model : models) {
            Path snapshot = hub.download(DownloadRequest.builder(model).optRevision(revision).optFilter(filter).build());
            cli.out.println(snapshot);
        }
        return 0;
    }
}
