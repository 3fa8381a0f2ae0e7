package dev.billionllm.examples.cli;

import dev.billionllm.bench.score.Perplexity;
import dev.billionllm.bench.score.PerplexityResult;
import dev.billionllm.core.Model;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code billion perplexity}: sliding-window perplexity of a text file (Hugging Face's recipe). */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity of a UTF-8 text file with a sliding window and stride.")
final class PerplexityCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--text", paramLabel = "FILE", required = true, description = "UTF-8 text file.")
    Path text;

    @Option(names = "--window", paramLabel = "N", defaultValue = "1024", description = "Tokens per window (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--stride", paramLabel = "N", defaultValue = "512", description = "Window step (default: ${DEFAULT-VALUE}).")
    int stride;

    @Override
    public Integer call() {
        // Names the file when it is not UTF-8 (instead of "Input length = 1"); 1 GiB at most.
        String content = dev.billionllm.core.config.JsonFiles.readText(text, 1L << 30);
        try (Model m = model.load(cli.err)) {
            PerplexityResult r = Perplexity.ofText(m.lm(), m.tokenizer(), content, window, stride);
            cli.out.printf(Locale.ROOT, "%s on %s: perplexity %.4f (mean NLL %.6f over %d tokens, %d windows of %d)%n",
                    m.folder().getFileName(), text.getFileName(), r.perplexity(), r.meanNll(), r.scoredTokens(),
                    r.windows(), window);
            return 0;
        }
    }
}
