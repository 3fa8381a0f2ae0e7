package dev.billionllm.examples.cli;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

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
            CacheCommand.class,
            MmluCommand.class,
            PerplexityCommand.class,
            SpeculativeCommand.class,
            FinetuneCommand.class,
            FinetuneDemoCommand.class,
            MergeCommand.class,
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

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On an error, print its stack trace after the one-line message.")
    boolean verbose;

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
        BillionCli cli = cl.getCommand();
        // Every numeric option is range-checked before any command runs (NumericOptions).
        cl.setExecutionStrategy(NumericOptions.checkingThen(new CommandLine.RunLast()));
        // Library errors carry an actionable message; a stack trace would bury it (--verbose adds it).
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> CliErrors.report(ex, err, cli.verbose));
        return cl;
    }

    /** Runs {@code args} and returns the exit code. */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine(in, out, err);
        int code;
        try {
            code = cl.execute(args);
        } catch (Throwable t) { // picocli passes Errors (OutOfMemoryError, StackOverflowError) through
            code = CliErrors.report(t, err, ((BillionCli) cl.getCommand()).verbose);
        }
        out.flush();
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        CliShutdown.install(3_000);
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(System.in, out, err, args));
    }
}
