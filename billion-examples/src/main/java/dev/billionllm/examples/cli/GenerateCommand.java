package dev.billionllm.examples.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.billionllm.core.Model;
import dev.billionllm.core.generate.GenerationConfig;
import dev.billionllm.core.generate.GenerationResult;
import dev.billionllm.core.generate.Generator;
import dev.billionllm.core.generate.Prompt;
import dev.billionllm.core.generate.TokenListener;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code billion generate}: one prompt, text or ids, streamed or as JSON. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue one prompt (text, ids or a chat turn) and print the result.")
final class GenerateCommand implements Callable<Integer> {
    @ParentCommand
    BillionCli cli;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    DraftOptions drafting = new DraftOptions();

    @Option(names = "--compare-plain",
            description = "With a draft or prompt lookup: also decode plainly, check the ids are equal and report the speed-up.")
    boolean comparePlain;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt text.")
        String text;

        @Option(names = "--prompt-ids", paramLabel = "IDS", split = ",",
                description = "Prompt token ids, comma-separated (reproduces a case exactly).")
        int[] ids;
    }

    @Option(names = "--chat", description = "Render the prompt as a user turn with the model's chat template.")
    boolean chat;

    @Option(names = "--json", description = "Print one JSON object: prompt ids, new ids, text, finish reason, timings.")
    boolean json;

    @Override
    public Integer call() {
        try (Model m = model.loadForGeneration(cli.err)) {
            Generator generator = drafting.apply(m, model.flags, cli.err);
            GenerationConfig config = sampling.apply(m.defaultGenerationConfig());
            Prompt prompt = input.ids != null ? Prompt.ids(input.ids)
                    : chat ? Prompt.chat(java.util.List.of(dev.billionllm.core.chat.ChatMessage.user(input.text)))
                    : Prompt.text(input.text);
            // Encoded once: the ids are what is generated from and what --json reports.
            int[] promptIds = generator.encode(prompt);
            TokenListener listener = json ? TokenListener.NONE : e -> {
                cli.out.print(e.text());
                cli.out.flush();
            };
            GenerationResult r = CliShutdown.generate(generator, Prompt.ids(promptIds), config, listener);
            GenerationResult plain = drafting.enabled() && comparePlain
                    ? CliShutdown.generate(m.generator(), Prompt.ids(promptIds), config, TokenListener.NONE) : null;
            if (json) {
                JsonObject o = toJson(m, promptIds, r);
                if (drafting.enabled()) {
                    JsonObject s = DraftOptions.toJson(r, drafting.draft);
                    if (plain != null) {
                        s.addProperty("plain_equal", plain.tokenIds().equals(r.tokenIds()));
                        double spec = DraftOptions.tokensPerSecond(r);
                        double base = DraftOptions.tokensPerSecond(plain);
                        s.addProperty("plain_tokens_per_second", base);
                        s.addProperty("speedup", base > 0 ? spec / base : 0);
                    }
                    o.add("speculative", s);
                }
                cli.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(o));
            } else {
                cli.out.println();
                cli.err.printf("[%s, %d prompt tokens, %d new, %s; ttft %d ms, prefill %.1f tok/s, decode %.1f tok/s]%n",
                        ModelOptions.displayName(m), r.promptTokenCount(), r.tokenIds().size(),
                        r.finishReason().name().toLowerCase(java.util.Locale.ROOT),
                        r.timings().timeToFirstToken().toMillis(), r.timings().prefillTokensPerSecond(),
                        r.timings().decodeTokensPerSecond());
                if (drafting.enabled()) {
                    cli.err.printf("[%s: %d rounds, %d drafted, %d accepted (%.0f%%), %.2f tokens per round%s]%n",
                            r.metrics().strategy(), r.metrics().rounds(), r.metrics().draftedTokens(),
                            r.metrics().acceptedTokens(), 100 * r.metrics().acceptanceRate(),
                            r.metrics().meanTokensPerRound(), plain == null ? "" : plain.tokenIds().equals(r.tokenIds())
                                    ? "; same ids as plain decoding" : "; DIFFERENT ids from plain decoding");
                }
            }
            return 0;
        } finally {
            drafting.close(); // after the target: the generator used both
        }
    }

    static JsonObject toJson(Model m, int[] promptIds, GenerationResult r) {
        JsonObject o = new JsonObject();
        o.addProperty("model", m.folder().toString());
        o.addProperty("backend", m.backend());
        o.add("prompt_ids", ids(promptIds));
        o.add("new_ids", ids(r.tokenIdArray()));
        o.addProperty("text", r.text());
        o.addProperty("finish_reason", r.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        o.addProperty("prompt_tokens", r.promptTokenCount());
        JsonObject t = new JsonObject();
        t.addProperty("time_to_first_token_ms", r.timings().timeToFirstToken().toNanos() / 1e6);
        t.addProperty("prefill_ms", r.timings().prefill().toNanos() / 1e6);
        t.addProperty("decode_ms", r.timings().decode().toNanos() / 1e6);
        t.addProperty("prefill_tokens_per_second", r.timings().prefillTokensPerSecond());
        t.addProperty("decode_tokens_per_second", r.timings().decodeTokensPerSecond());
        o.add("timings", t);
        return o;
    }

    private static JsonArray ids(int[] ids) {
        JsonArray a = new JsonArray();
        Arrays.stream(ids).forEach(a::add);
        return a;
    }
}
