package dev.billionllm.core.chat;

import dev.billionllm.core.ConfigException;
import dev.billionllm.core.config.JsonFiles;
import dev.billionllm.core.tokenize.Tokenizer;
import dev.billionllm.core.tokenize.TokenizerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds a model folder's chat template, as transformers does.
 *
 * <pre>{@code
 * ChatTemplate t = ChatTemplates.load(folder, tokenizer);
 * String prompt = t.render(List.of(ChatMessage.user("hi")), true);
 * int[] ids = tokenizer.encode(prompt, !t.isModelTemplate());
 * }</pre>
 */
public final class ChatTemplates {

    private ChatTemplates() {}

    /**
     * The template of {@code folder}: {@code chat_template.jinja} if present (it wins, as in
     * transformers), else {@code tokenizer_config.json}'s {@code chat_template} (a string, or the
     * entry named {@code default} of a list of named templates), else {@link PlainChatTemplate}.
     * {@code bos_token} and {@code eos_token} come from {@code tokenizer}.
     *
     * @throws ConfigException if a file is unreadable or a template list has no {@code default}
     */
    public static ChatTemplate load(Path folder, Tokenizer tokenizer) {
        Path jinja = folder.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            // Bound the read before it happens: a hostile repository may ship a huge file.
            String text = JsonFiles.readText(jinja, 4L * TemplateLimits.DEFAULTS.maxTemplateChars());
            return new JinjaChatTemplate(text, tokenizer.bosToken(), tokenizer.eosToken(), jinja.toString());
        }
        Path configFile = folder.resolve("tokenizer_config.json");
        Map<String, String> templates = TokenizerConfig.read(configFile).chatTemplates();
        if (templates.isEmpty()) {
            return new PlainChatTemplate();
        }
        String template = templates.get("default");
        if (template == null) {
            throw new ConfigException(configFile + ": chat_template lists " + templates.keySet()
                    + " but no template named \"default\"");
        }
        return new JinjaChatTemplate(template, tokenizer.bosToken(), tokenizer.eosToken(),
                configFile + " chat_template");
    }
}
