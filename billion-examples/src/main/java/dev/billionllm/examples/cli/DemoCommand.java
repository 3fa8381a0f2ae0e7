package dev.billionllm.examples.cli;

import dev.billionllm.core.Model;
import dev.billionllm.core.chat.ChatMessage;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Prompt;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * {@code billion demo}: loads a bundled small model offline and shows what the library does:
 * the model's config, tokenization, a greedy continuation streamed token by token, and a chat turn.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Offline tour on a bundled small model: config, tokens, generation, chat.")
final class DemoCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Override
    public Integer call() {
        try (Model m = model.load(cli.err)) {
            var c = m.config();
            cli.out.printf(Locale.ROOT, "model:   %s (%s backend, loaded in %d ms)%n", m.folder(), m.backend(),
                    m.loadTime().toMillis());
            cli.out.printf(Locale.ROOT, "config:  %s, %d layers, hidden %d, %d heads / %d kv, vocab %d, %,d parameters%n",
                    c.family().modelType(), c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(),
                    c.numKeyValueHeads(), c.vocabSize(), c.parameterCount());
            String prompt = "the cat sat on";
            int[] ids = m.tokenizer().encode(prompt, true);
            cli.out.println("prompt:  \"" + prompt + "\" -> ids " + Arrays.toString(ids));
            GenerationConfig greedy = m.defaultGenerationConfig().toBuilder()
                    .optTemperature(0).optMaxNewTokens(24).build();
            cli.out.print("greedy:  " + prompt + " -> ");
            GenerationResult r = CliShutdown.generate(m.generator(), Prompt.text(prompt), greedy, e -> {
                cli.out.print(e.text());
                cli.out.flush();
            });
            cli.out.println();
            cli.out.printf(Locale.ROOT, "         [%d tokens, %s, prefill %.0f tok/s, decode %.0f tok/s]%n",
                    r.tokenIds().size(), r.finishReason().name().toLowerCase(Locale.ROOT),
                    r.timings().prefillTokensPerSecond(), r.timings().decodeTokensPerSecond());
            List<ChatMessage> chat = List.of(ChatMessage.user("hello, who are you?"));
            cli.out.println("chat:    user: hello, who are you?");
            GenerationResult answer = CliShutdown.generate(m.generator(), Prompt.chat(chat),
                    greedy.toBuilder().optMaxNewTokens(12).build(), dev.billionllm.core.generate.TokenListener.NONE);
            cli.out.println("         assistant: " + answer.text().strip() + "  [" + answer.finishReason()
                    .name().toLowerCase(Locale.ROOT) + "]");
            return 0;
        }
    }
}
