package dev.billionllm.examples.cli;

import dev.billionllm.core.BillionException;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code billion} command line. Commands are thin: they parse options, call the library and
 * print. Streams are injected so tests drive every command in-process; only {@link #main} exits.
 */
@Command(name = "billion", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run, compare and benchmark 1B-class language models from Java.",
        subcommands = {
            DemoCommand.class,
            ModelsCommand.class,
            DownloadCommand.class,
            GenerateCommand.class,
            ChatCommand.class,
            CompareCommand.class,
            ExportCommand.class,
            MmluCommand.class,
            PerplexityCommand.class,
            ServeCommand.class,
            CommandLine.HelpCommand.class,
            picocli.AutoComplete.GenerateCompletion.class
        })
public final class BillionCli {
    final BufferedReader in;
    final PrintWriter out;
    final PrintWriter err;
    /** True when input comes from the user's terminal, so chat can offer line editing. */
    final boolean terminal;

    public BillionCli(InputStream in, PrintWriter out, PrintWriter err) {
        this.terminal = in == System.in && System.console() != null;
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.out = out;
        this.err = err;
    }

    /** A configured command line over the given streams. */
    public static CommandLine commandLine(InputStream in, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new BillionCli(in, out, err));
        // The Benchmark example main is the bench command itself, so the two cannot drift.
        cl.addSubcommand("bench", dev.billionllm.examples.Benchmark.commandLine());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            // Library errors carry an actionable message; a stack trace would bury it.
            err.println("error: " + ex.getMessage());
            err.flush();
            return ex instanceof IllegalArgumentException || ex instanceof BillionException ? 2 : 1;
        });
        return cl;
    }

    /** Runs {@code args} and returns the exit code. */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
        int code = commandLine(in, out, err).execute(args);
        out.flush();
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(System.in, out, err, args));
    }
}
