package dev.billionllm.examples.cli;

import dev.billionllm.bench.mmlu.MmluDataset;
import dev.billionllm.bench.mmlu.MmluEvaluator;
import dev.billionllm.bench.mmlu.MmluResult;
import dev.billionllm.bench.mmlu.SubjectScore;
import dev.billionllm.core.Model;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code billion mmlu}: MMLU accuracy scored as lm-evaluation-harness's default task. */
@Command(name = "mmlu", mixinStandardHelpOptions = true,
        description = {"MMLU accuracy (log-likelihood of ' A'..' D', as lm-evaluation-harness scores it).",
            "Data: the original CSV folder (data/dev, data/test), cais/mmlu parquet files, or dev/test JSONL."})
final class MmluCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "MMLU data folder.")
    Path data;

    @Option(names = "--shots", paramLabel = "K", defaultValue = "5", description = "Few-shot examples from dev (default: ${DEFAULT-VALUE}).")
    int shots;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Questions per subject, 0 = all (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        MmluDataset dataset = MmluDataset.load(data);
        try (Model m = model.load(cli.err)) {
            MmluResult r = new MmluEvaluator(m.lm(), m.tokenizer()).numFewshot(shots).limit(limit).evaluate(dataset);
            cli.out.printf(Locale.ROOT, "%-40s %8s %8s%n", "subject", "correct", "accuracy");
            for (SubjectScore s : r.subjects()) {
                cli.out.printf(Locale.ROOT, "%-40s %4d/%-3d %8.4f%n", s.subject(), s.correct(), s.total(), s.accuracy());
            }
            cli.out.printf(Locale.ROOT, "%s, %d-shot: micro accuracy %.4f (%d/%d), macro accuracy %.4f%n",
                    m.folder().getFileName(), shots, r.microAccuracy(), r.correct(), r.total(), r.macroAccuracy());
            return 0;
        }
    }
}
