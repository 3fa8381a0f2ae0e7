package dev.billionllm.examples;

import dev.billionllm.examples.cli.BillionCli;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fine-tuning demo, like the Python project's {@code finetune_demo.py}: held-out answers before,
 * LoRA training on a bundled data set, answers after, loss and time. Same as
 * {@code billion finetune-demo}; every option is that command's.
 *
 * <pre>
 * FinetuneDemo                         bundled tiny model, offline, well under a minute on 2 cores
 * FinetuneDemo --model tinyllama --lr 2e-4 --epochs 3    after: billion download tinyllama
 * </pre>
 */
public final class FinetuneDemo {

    private FinetuneDemo() {}

    public static void main(String[] args) {
        List<String> cli = new ArrayList<>(Arrays.asList(args));
        cli.add(0, "finetune-demo");
        BillionCli.main(cli.toArray(String[]::new));
    }
}
