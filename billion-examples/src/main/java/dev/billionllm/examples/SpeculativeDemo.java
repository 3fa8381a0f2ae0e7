package dev.billionllm.examples;

import dev.billionllm.examples.cli.BillionCli;

/**
 * Speculative decoding demo: {@code billion speculative} as a main. Runs the same prompts with plain
 * decoding, a matched draft, a mismatched draft and prompt lookup, checks the outputs are identical,
 * and prints tokens/s, acceptance and speed-up with a PNG chart. Offline, on the bundled small-llama
 * pair, in under a minute; every option of {@code billion speculative --help} is accepted.
 */
public final class SpeculativeDemo {
    private SpeculativeDemo() {}

    public static void main(String[] args) {
        String[] cliArgs = new String[args.length + 1];
        cliArgs[0] = "speculative";
        System.arraycopy(args, 0, cliArgs, 1, args.length);
        BillionCli.main(cliArgs);
    }
}
