package dev.billionllm.core.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.billionllm.core.BillionException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Templates of other families as published on the Hub, rendered in the sandbox: the expected
 * prompts were worked out by hand from Jinja2 semantics (see resources/chat-templates/README.md).
 */
class PublishedTemplatesTest {

    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are a bot."), ChatMessage.user("Hi!"), ChatMessage.assistant("Hello."),
            ChatMessage.user("Count to three."));

    private static JinjaChatTemplate template(String name, String bos, String eos) throws IOException {
        try (InputStream in = PublishedTemplatesTest.class.getResourceAsStream("/chat-templates/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new JinjaChatTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8), bos, eos, name);
        }
    }

    private static Map<String, Object> toolCall(String name, Map<String, Object> arguments) {
        return Map.of("type", "function", "function", Map.of("name", name, "arguments", arguments));
    }

    @Test
    void qwen25() throws IOException {
        JinjaChatTemplate t = template("qwen2.5-instruct.jinja", null, "<|im_end|>");
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<|im_start|>system\nYou are a bot.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                        + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nCount to three.<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.user("Hi!")), false)).isEqualTo(
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHi!<|im_end|>\n");
    }

    @Test
    void qwen25WithTools() throws IOException {
        List<Map<String, Object>> msgs = List.of(
                Map.of("role", "user", "content", "Weather in Paris?"),
                Map.of("role", "assistant", "tool_calls", List.of(toolCall("get_weather", Map.of("city", "Paris")))),
                Map.of("role", "tool", "content", "sunny"));
        String rendered = template("qwen2.5-instruct.jinja", null, "<|im_end|>")
                .render(msgs, true, Map.of("tools", List.of(JinjaChatTemplateTest.weatherTool())));
        assertThat(rendered).isEqualTo("<|im_start|>system\n"
                + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
                + "You may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", "
                + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, "
                + "\"required\": [\"city\"]}}}\n</tools>\n\n"
                + "For each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n"
                + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n");
    }

    @Test
    void llama31() throws IOException {
        JinjaChatTemplate t = template("llama-3.1-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        assertThat(t.render(CONVERSATION.subList(0, 2), true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                        + "You are a bot.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void llama31WithBuiltInTools() throws IOException {
        List<Map<String, Object>> msgs = List.of(
                Map.of("role", "system", "content", "You are a bot."),
                Map.of("role", "user", "content", "Search the news."),
                Map.of("role", "assistant", "tool_calls", List.of(toolCall("brave_search", Map.of("query", "news")))),
                Map.of("role", "ipython", "content", "headlines"));
        String rendered = template("llama-3.1-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>")
                .render(msgs, true, Map.of("builtin_tools", List.of("brave_search", "wolfram_alpha", "code_interpreter")));
        assertThat(rendered).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Environment: ipython\nTools: brave_search, wolfram_alpha\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                + "You are a bot.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nSearch the news.<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n<|python_tag|>brave_search.call(query=\"news\")<|eom_id|>"
                + "<|start_header_id|>ipython<|end_header_id|>\n\n\"headlines\"<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void llama31WithCustomToolsInTheSystemMessage() throws IOException {
        List<Map<String, Object>> msgs = List.of(Map.of("role", "user", "content", "Weather in Paris?"));
        String rendered = template("llama-3.1-instruct.jinja", "<|begin_of_text|>", "<|eot_id|>").render(msgs, false,
                Map.of("tools", List.of(Map.of("name", "f")), "tools_in_user_message", false, "date_string", "1 Jan 2025"));
        assertThat(rendered).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 1 Jan 2025\n\n"
                + "You have access to the following functions. To call a function, please respond with JSON for a "
                + "function call.Respond in the format {\"name\": function name, \"parameters\": dictionary of argument "
                + "name and its value}.Do not use variables.\n\n{\n    \"name\": \"f\"\n}\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|>");
    }

    @Test
    void mistral() throws IOException {
        JinjaChatTemplate t = template("mistral-7b-instruct-v0.2.jinja", "<s>", "</s>");
        assertThat(t.render(CONVERSATION.subList(1, 4), false))
                .isEqualTo("<s>[INST] Hi! [/INST]Hello.</s>[INST] Count to three. [/INST]");
        assertThatThrownBy(() -> t.render(CONVERSATION, true)).isInstanceOf(BillionException.class)
                .hasMessage("Chat template (mistral-7b-instruct-v0.2.jinja) raised: "
                        + "Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void phi3() throws IOException {
        JinjaChatTemplate t = template("phi-3-mini-instruct.jinja", "<s>", "<|endoftext|>");
        String turns = "<|system|>\nYou are a bot.<|end|>\n<|user|>\nHi!<|end|>\n<|assistant|>\nHello.<|end|>\n"
                + "<|user|>\nCount to three.<|end|>\n";
        assertThat(t.render(CONVERSATION, true)).isEqualTo(turns + "<|assistant|>\n");
        assertThat(t.render(CONVERSATION, false)).isEqualTo(turns + "<|endoftext|>");
    }

    @Test
    void gemma() throws IOException {
        JinjaChatTemplate t = template("gemma-2-it.jinja", "<bos>", "<eos>");
        List<ChatMessage> msgs = List.of(ChatMessage.user("  Hi!  "), ChatMessage.assistant("Hello."),
                ChatMessage.user("Count to three."));
        assertThat(t.render(msgs, true)).isEqualTo("<bos><start_of_turn>user\nHi!<end_of_turn>\n"
                + "<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nCount to three.<end_of_turn>\n"
                + "<start_of_turn>model\n");
        assertThatThrownBy(() -> t.render(CONVERSATION, true)).isInstanceOf(BillionException.class)
                .hasMessageContaining("System role not supported");
    }
}
