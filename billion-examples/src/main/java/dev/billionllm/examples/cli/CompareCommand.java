package dev.billionllm.examples.cli;

import dev.billionllm.core.Model;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Prompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code billion compare}: the same prompts to several models, side by side when the terminal is
 * wide enough, else one after another, with each model's time to first token and tokens/s.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Send the same prompts to several models and show the answers with their speed.")
final class CompareCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--models", split = ",", paramLabel = "MODEL,...",
            description = "Models to compare (default: the bundled tiny-tinyllama and tiny-llama32).")
    List<String> models = new ArrayList<>(List.of("tiny-tinyllama", "tiny-llama32"));

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt (repeatable).", required = true)
    List<String> prompts;

    @Option(names = "--chat", description = "Render prompts as a user turn with each model's chat template.")
    boolean chat;

    @Option(names = "--width", paramLabel = "COLUMNS",
            description = "Terminal width; side by side when each model gets 30+ columns (default: $COLUMNS or 120).")
    Integer width;

    @Override
    public Integer call() {
        List<Model> loaded = new ArrayList<>();
        List<String> names = new ArrayList<>(); // displayName reads the export's metadata file: once per model
        try {
            for (String ref : models) {
                Model m = model.loadForGeneration(ref, cli.err);
                loaded.add(m);
                names.add(ModelOptions.displayName(m));
            }
            for (String prompt : prompts) {
                List<String[]> answers = new ArrayList<>();
                for (int i = 0; i < loaded.size(); i++) {
                    Model m = loaded.get(i);
                    Prompt p = chat ? Prompt.chat(List.of(dev.billionllm.core.chat.ChatMessage.user(prompt)))
                            : Prompt.text(prompt);
                    GenerationResult r = CliShutdown.generate(m.generator(), p, sampling.apply(m.defaultGenerationConfig()),
                            dev.billionllm.core.generate.TokenListener.NONE);
                    String stats = String.format(Locale.ROOT, "ttft %d ms, %.1f tok/s, %d tokens, %s",
                            r.timings().timeToFirstToken().toMillis(), r.timings().decodeTokensPerSecond(),
                            r.tokenIds().size(), r.finishReason().name().toLowerCase(Locale.ROOT));
                    answers.add(new String[] {names.get(i), r.text().strip(), stats});
                }
                cli.out.println("prompt: " + prompt);
                print(answers);
                cli.out.println();
            }
            return 0;
        } finally {
            loaded.forEach(Model::close);
        }
    }

    private void print(List<String[]> answers) {
        int columns = width != null ? width : envColumns();
        int col = (columns - 3 * (answers.size() - 1)) / answers.size();
        if (col < 30) {
            for (String[] a : answers) {
                cli.out.println("== " + a[0] + " (" + a[2] + ")");
                cli.out.println(a[1]);
            }
            return;
        }
        List<List<String>> wrapped = new ArrayList<>();
        int rows = 0;
        for (String[] a : answers) {
            List<String> lines = new ArrayList<>();
            lines.addAll(wrap(a[0], col));
            lines.addAll(wrap(a[2], col));
            lines.add("-".repeat(col));
            lines.addAll(wrap(a[1], col));
            wrapped.add(lines);
            rows = Math.max(rows, lines.size());
        }
        for (int r = 0; r < rows; r++) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < wrapped.size(); c++) {
                String cell = r < wrapped.get(c).size() ? wrapped.get(c).get(r) : "";
                sb.append(c == 0 ? "" : " | ").append(String.format("%-" + col + "s", cell));
            }
            cli.out.println(sb.toString().stripTrailing());
        }
    }

    static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        for (String para : text.split("\n", -1)) {
            StringBuilder line = new StringBuilder();
            for (String word : para.split(" ")) {
                while (word.length() > width) {
                    if (line.length() > 0) {
                        out.add(line.toString());
                        line.setLength(0);
                    }
                    out.add(word.substring(0, width));
                    word = word.substring(width);
                }
                if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                    out.add(line.toString());
                    line.setLength(0);
                }
                if (line.length() > 0) {
                    line.append(' ');
                }
                line.append(word);
            }
            out.add(line.toString());
        }
        return out;
    }

    private static int envColumns() {
        try {
            return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "120"));
        } catch (NumberFormatException e) {
            return 120;
        }
    }
}
