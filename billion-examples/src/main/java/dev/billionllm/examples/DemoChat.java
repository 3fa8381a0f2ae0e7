package dev.billionllm.examples;

import dev.billionllm.examples.cli.BillionCli;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Chat with one model, or compare several, like the Python project's {@code demo_chat.py}.
 *
 * <pre>
 * DemoChat --model tinyllama                       interactive chat (same as: billion chat --model tinyllama)
 * DemoChat --compare --models tiny-tinyllama,tiny-llama32 -p "the cat sat on"
 *                                                  side by side (same as: billion compare ...)
 * </pre>
 *
 * With no {@code --model}, a bundled small model is used, offline. Every other option is the
 * matching {@code billion} command's (see {@code billion chat --help}, {@code billion compare --help}).
 */
public final class DemoChat {

    private DemoChat() {}

    /** The {@code billion} arguments this main stands for. */
    static String[] toCliArgs(String[] args) {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        boolean compare = rest.remove("--compare");
        rest.add(0, compare ? "compare" : "chat");
        return rest.toArray(String[]::new);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(BillionCli.run(System.in, out, err, toCliArgs(args)));
    }
}
