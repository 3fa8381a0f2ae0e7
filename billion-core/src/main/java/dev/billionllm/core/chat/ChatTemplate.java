package dev.billionllm.core.chat;

import java.util.List;

/** Renders a conversation into the prompt text a chat model was trained on. */
public interface ChatTemplate {

    /**
     * Renders {@code messages}.
     *
     * @param addGenerationPrompt append the header of an assistant turn, as transformers'
     *     {@code apply_chat_template(add_generation_prompt=True)}
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** Whether this is the model's own template (false for the plain-text fallback). */
    boolean isModelTemplate();
}
