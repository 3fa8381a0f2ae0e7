package dev.billionllm.core.chat;

import java.util.List;

/**
 * The plain-text conversation format used for models without a chat template (base models such as
 * Pythia). It is a convention of billion-llm, not something the model was trained on:
 *
 * <pre>
 * System: You are terse.
 * User: hello, who are you?
 * Assistant:
 * </pre>
 *
 * <p>Each message is one line {@code "<Role>: <content>\n"}, where the role is capitalised ({@code
 * system} becomes {@code System}, any other role likewise). With a generation prompt the text ends
 * in {@code "Assistant:"} with no trailing space, because byte-level BPE tokenizers attach the space
 * to the next word. No special tokens are written; encode the result with {@code
 * tokenizer.encode(prompt, true)} if the model expects a BOS token.
 */
public final class PlainChatTemplate implements ChatTemplate {

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            sb.append(capitalise(m.role())).append(": ").append(m.content()).append('\n');
        }
        if (addGenerationPrompt) {
            sb.append("Assistant:");
        }
        return sb.toString();
    }

    private static String capitalise(String role) {
        return role.isEmpty() ? role : Character.toUpperCase(role.charAt(0)) + role.substring(1);
    }

    @Override
    public boolean isModelTemplate() {
        return false;
    }
}
