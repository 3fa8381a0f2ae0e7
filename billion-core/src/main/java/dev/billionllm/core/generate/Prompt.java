package dev.billionllm.core.generate;

import dev.billionllm.core.chat.ChatMessage;
import java.util.List;
import java.util.Objects;

/**
 * What to continue: plain text (encoded with the tokenizer's special tokens, as {@code
 * tokenizer(text)} does), token ids (used as given), or a conversation (rendered with the model's
 * chat template plus the assistant header, then encoded without adding special tokens again, as
 * transformers' {@code apply_chat_template(..., add_generation_prompt=True, tokenize=True)}).
 */
public abstract class Prompt {

    private Prompt() {}

    /** A text prompt. */
    public static Prompt text(String text) {
        return new Text(text);
    }

    /** A prompt of token ids, used unchanged (add BOS yourself if the model expects one). */
    public static Prompt ids(int... ids) {
        return new Ids(ids);
    }

    /** A conversation to answer. */
    public static Prompt chat(List<ChatMessage> messages) {
        return new Chat(messages);
    }

    /** Plain text. */
    static final class Text extends Prompt {
        final String text;

        Text(String text) {
            this.text = Objects.requireNonNull(text, "prompt text");
        }

        @Override
        public String toString() {
            return "Prompt.text(" + text + ")";
        }
    }

    /** Token ids. */
    static final class Ids extends Prompt {
        final int[] ids;

        Ids(int[] ids) {
            Objects.requireNonNull(ids, "prompt ids");
            if (ids.length == 0) {
                throw new IllegalArgumentException("a prompt needs at least one token id");
            }
            this.ids = ids.clone();
        }

        @Override
        public String toString() {
            return "Prompt.ids(" + ids.length + " ids)";
        }
    }

    /** A conversation. */
    static final class Chat extends Prompt {
        final List<ChatMessage> messages;

        Chat(List<ChatMessage> messages) {
            this.messages = List.copyOf(messages);
            if (this.messages.isEmpty()) {
                throw new IllegalArgumentException("a chat prompt needs at least one message");
            }
        }

        @Override
        public String toString() {
            return "Prompt.chat(" + messages.size() + " messages)";
        }
    }
}
