package dev.billionllm.examples.cli;

import dev.billionllm.core.ModelResolver;
import dev.billionllm.core.spec.ModelRegistry;
import dev.billionllm.core.spec.ModelSpec;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code billion models}: registered specs, whether each is on disk, and the bundled models. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List registered model specs, which are downloaded, and the bundled small models.")
final class ModelsCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Override
    public Integer call() {
        ModelResolver resolver = ModelResolver.fromEnvironment();
        ModelRegistry registry = resolver.registry();
        cli.out.printf("%-18s %-42s %-9s %8s %-6s %s%n", "ID", "REPO", "FAMILY", "PARAMS", "GATED", "LOCAL");
        for (ModelSpec s : registry.specs()) {
            Optional<Path> local = resolver.downloaded(s);
            cli.out.printf("%-18s %-42s %-9s %8s %-6s %s%n", s.id(), s.repoId().orElse("-"),
                    s.family().modelType(), params(s.parameterCount()), s.gated() ? "yes" : "no",
                    local.map(Path::toString).orElse("not downloaded"));
        }
        cli.out.println();
        cli.out.println("Bundled small models (offline, for demos and tests): "
                + String.join(", ", resolver.bundledNames()));
        return 0;
    }

    private static String params(long n) {
        return n <= 0 ? "?" : String.format(java.util.Locale.ROOT, "%.2fB", n / 1e9);
    }
}
