package dev.billionllm.examples.cli;

import dev.billionllm.core.Model;
import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code billion chat}: multi-turn conversation with the model's chat template, streamed. Reads
 * lines from a terminal (line editing and history through JLine) or from piped stdin.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Interactive, streaming, multi-turn chat with the model's chat template.",
            "Commands: /system TEXT sets the system prompt, /reset clears the conversation, /exit quits."})
final class ChatCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    DraftOptions drafting = new DraftOptions();

    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt.")
    String system;

    @Override
    public Integer call() throws IOException {
        try (Model m = model.loadForGeneration(cli.err); LineSource lines = LineSource.open(cli.in, cli.terminal)) {
            Generator generator = drafting.apply(m, model.flags, cli.err);
            GenerationConfig config = sampling.apply(m.defaultGenerationConfig());
            String name = ModelOptions.displayName(m);
            if (!m.chatTemplate().isModelTemplate()) {
                cli.err.println("[" + name
                        + " has no chat template: using the plain-text fallback]");
            }
            List<ChatMessage> history = new ArrayList<>();
            String systemPrompt = system;
            cli.out.println("Chatting with " + name + " (/system TEXT, /reset, /exit).");
            String line;
            while ((line = lines.readLine("you> ")) != null) {
                String text = line.strip();
                if (text.isEmpty()) {
                    continue;
                }
                if (text.equals("/exit") || text.equals("/quit")) {
                    break;
                }
                if (text.equals("/reset")) {
                    history.clear();
                    cli.out.println("[conversation cleared]");
                    continue;
                }
                if (text.startsWith("/system")) {
                    systemPrompt = text.substring("/system".length()).strip();
                    history.clear();
                    cli.out.println("[system prompt set; conversation cleared]");
                    continue;
                }
                history.add(ChatMessage.user(text));
                List<ChatMessage> messages = new ArrayList<>();
                if (systemPrompt != null && !systemPrompt.isEmpty()) {
                    messages.add(ChatMessage.system(systemPrompt));
                }
                messages.addAll(history);
                cli.out.print("assistant> ");
                GenerationResult r = CliShutdown.generate(generator, Prompt.chat(messages), config, e -> {
                    cli.out.print(e.text());
                    cli.out.flush();
                });
                cli.out.println();
                history.add(ChatMessage.assistant(r.text().strip()));
            }
            return 0;
        } finally {
            drafting.close(); // after the target: the generator used both
        }
    }
}
