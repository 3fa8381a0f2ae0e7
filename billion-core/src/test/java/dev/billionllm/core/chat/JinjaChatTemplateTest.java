package dev.billionllm.core.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.billionllm.core.BillionException;
import dev.billionllm.core.ConfigException;
import dev.billionllm.core.testing.Fixtures;
import dev.billionllm.core.tokenize.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JinjaChatTemplateTest {

    private static final Clock NOV_26_2026 = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);

    private static JsonObject chatGolden(String fixture) throws IOException {
        return JsonParser.parseString(Files.readString(Fixtures.dir(fixture).resolve("golden.json")))
                .getAsJsonObject().getAsJsonObject("chat");
    }

    private static List<ChatMessage> messages(JsonObject chat) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonElement e : chat.getAsJsonArray("messages")) {
            out.add(new ChatMessage(e.getAsJsonObject().get("role").getAsString(),
                    e.getAsJsonObject().get("content").getAsString()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-tinyllama", "tiny-llama32", "tiny-stablelm2"})
    void fixtureTemplatesRenderAndEncodeLikeTransformers(String fixture) throws IOException {
        JsonObject chat = chatGolden(fixture);
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir(fixture))) {
            ChatTemplate template = ChatTemplates.load(Fixtures.dir(fixture), tok);
            assertThat(template).isInstanceOf(JinjaChatTemplate.class);
            assertThat(template.isModelTemplate()).isTrue();
            String rendered = template.render(messages(chat), true);
            assertThat(rendered).isEqualTo(chat.get("rendered").getAsString());
            assertThat(template.render(messages(chat), false)).isEqualTo(chat.get("rendered_no_gen").getAsString());
            // apply_chat_template(tokenize=True) encodes with add_special_tokens=False.
            int[] ids = IntStream.range(0, chat.getAsJsonArray("ids").size())
                    .map(i -> chat.getAsJsonArray("ids").get(i).getAsInt()).toArray();
            assertThat(tok.encode(rendered, false)).containsExactly(ids);
        }
    }

    @Test
    void pythiaGetsThePlainFallback() throws IOException {
        JsonObject golden = JsonParser.parseString(Files.readString(Fixtures.dir("tiny-pythia").resolve("golden.json")))
                .getAsJsonObject();
        assertThat(golden.has("chat") && !golden.get("chat").isJsonNull()).as("pythia has no chat golden").isFalse();
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir("tiny-pythia"))) {
            ChatTemplate template = ChatTemplates.load(Fixtures.dir("tiny-pythia"), tok);
            assertThat(template).isInstanceOf(PlainChatTemplate.class);
            assertThat(template.isModelTemplate()).isFalse();
            List<ChatMessage> msgs = List.of(ChatMessage.system("You are terse."), ChatMessage.user("hello, who are you?"),
                    ChatMessage.assistant("a model."), ChatMessage.user("ok"));
            assertThat(template.render(msgs, true))
                    .isEqualTo("System: You are terse.\nUser: hello, who are you?\nAssistant: a model.\nUser: ok\nAssistant:");
            assertThat(template.render(msgs.subList(0, 2), false))
                    .isEqualTo("System: You are terse.\nUser: hello, who are you?\n");
            // The rendering tokenizes without surprises (no special tokens in it).
            String prompt = template.render(msgs.subList(1, 2), true);
            assertThat(tok.decode(tok.encode(prompt, true), false)).isEqualTo(prompt);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = JinjaChatTemplateTest.class.getResourceAsStream("/chat-templates/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are a bot."), ChatMessage.user("Hi!"), ChatMessage.assistant("Hello."),
            ChatMessage.user("Count to three."));

    @Test
    void tinyLlamaZephyrTemplate() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate(resource("tinyllama-zephyr.jinja"), "<s>", "</s>", "zephyr");
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<|system|>\nYou are a bot.</s>\n<|user|>\nHi!</s>\n<|assistant|>\nHello.</s>\n"
                        + "<|user|>\nCount to three.</s>\n<|assistant|>\n");
        assertThat(t.render(CONVERSATION, false)).isEqualTo(
                "<|system|>\nYou are a bot.</s>\n<|user|>\nHi!</s>\n<|assistant|>\nHello.</s>\n"
                        + "<|user|>\nCount to three.</s>\n");
    }

    @Test
    void messageContentIsDataNotTemplateCode() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate(resource("tinyllama-zephyr.jinja"), "<s>", "</s>", "zephyr");
        String content = "{{ 7 * 7 }}{% for x in range(3) %}x{% endfor %}";
        assertThat(t.render(List.of(ChatMessage.user(content)), true))
                .isEqualTo("<|user|>\n" + content + "</s>\n<|assistant|>\n");
    }

    @Test
    void stableLm2ChatMlTemplate() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate(resource("stablelm2-chatml.jinja"), "<|endoftext|>",
                "<|endoftext|>", "chatml");
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<|im_start|>system\nYou are a bot.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                        + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nCount to three.<|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    private static final String LLAMA_HEADER = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n";

    private JinjaChatTemplate llama() throws IOException {
        return new JinjaChatTemplate(resource("llama-3.2-instruct.jinja"), "<|begin_of_text|>", "<|eot_id|>",
                "llama-3.2", NOV_26_2026);
    }

    @Test
    void llama32TemplateUsesStrftimeNow() throws IOException {
        assertThat(llama().render(CONVERSATION, true)).isEqualTo(LLAMA_HEADER
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Nov 2026\n\n"
                + "You are a bot.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nCount to three.<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        // Without a system message the system block is still written, empty; date_string overrides the clock.
        assertThat(llama().render(List.of(Map.of("role", "user", "content", "  Hi!  ")), false,
                Map.of("date_string", "01 Jan 2025"))).isEqualTo(LLAMA_HEADER
                + "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>");
    }

    static Map<String, Object> weatherTool() {
        Map<String, Object> city = new LinkedHashMap<>();
        city.put("type", "string");
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("type", "object");
        params.put("properties", Map.of("city", city));
        params.put("required", List.of("city"));
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("name", "get_weather");
        fn.put("description", "Get the weather");
        fn.put("parameters", params);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", fn);
        return tool;
    }

    @Test
    void llama32TemplateWithTools() throws IOException {
        Map<String, Object> toolCall = Map.of("type", "function",
                "function", Map.of("name", "get_weather", "arguments", Map.of("city", "Paris")));
        List<Map<String, Object>> msgs = List.of(
                Map.of("role", "system", "content", "You are a bot."),
                Map.of("role", "user", "content", "Weather in Paris?"),
                Map.of("role", "assistant", "tool_calls", List.of(toolCall)),
                Map.of("role", "tool", "content", "sunny"));
        String toolJson = """
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Get the weather",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "city": {
                                    "type": "string"
                                }
                            },
                            "required": [
                                "city"
                            ]
                        }
                    }
                }""";
        String rendered = llama().render(msgs, true, Map.of("tools", List.of(weatherTool())));
        assertThat(rendered).isEqualTo(LLAMA_HEADER
                + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Nov 2026\n\n"
                + "You are a bot.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n"
                + "Given the following functions, please respond with a JSON for a function call "
                + "with its proper arguments that best answers the given prompt.\n\n"
                + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name "
                + "and its value}.Do not use variables.\n\n"
                + toolJson + "\n\n"
                + "Weather in Paris?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n"
                + "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
                // Python strings are "iterable", so the real template JSON-quotes a string tool result.
                + "<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");

        // tools_in_user_message=false puts them in the system message instead.
        String inSystem = llama().render(msgs.subList(0, 2), false,
                Map.of("tools", List.of(weatherTool()), "tools_in_user_message", false));
        assertThat(inSystem).contains("You have access to the following functions.")
                .contains(toolJson + "\n\nYou are a bot.<|eot_id|>")
                .endsWith("<|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|>");
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessage() throws IOException {
        Map<String, Object> call = Map.of("function", Map.of("name", "f", "arguments", Map.of()));
        List<Map<String, Object>> msgs = List.of(Map.of("role", "user", "content", "x"),
                Map.of("role", "assistant", "tool_calls", List.of(call, call)));
        assertThatThrownBy(() -> llama().render(msgs, false, Map.of()))
                .isInstanceOf(BillionException.class)
                .hasMessageContaining("llama-3.2")
                .hasMessageContaining("This model only supports single tool-calls at once!");
        assertThatThrownBy(() -> llama().render(List.of(Map.of("role", "system", "content", "s")), false,
                Map.of("tools", List.of(weatherTool()))))
                .isInstanceOf(BillionException.class)
                .hasMessageContaining("no first user message");
    }

    @Test
    void templateErrorsAreReported() {
        JinjaChatTemplate broken = new JinjaChatTemplate("{% if %}", null, null, "broken.jinja");
        assertThatThrownBy(() -> broken.render(CONVERSATION, true))
                .isInstanceOf(BillionException.class).hasMessageContaining("broken.jinja");
        JinjaChatTemplate unknown = new JinjaChatTemplate("{{ nosuch_function(1) }}", null, null, "x.jinja");
        assertThatThrownBy(() -> unknown.render(CONVERSATION, true))
                .isInstanceOf(BillionException.class).hasMessageContaining("nosuch_function");
    }

    private static String render(String template, Map<String, ?> vars) {
        return new JinjaChatTemplate(template, "<s>", "</s>", "test", NOV_26_2026).render(List.of(), false, vars);
    }

    @Test
    void pythonismsBehaveAsInJinja2() {
        assertThat(render("{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ ' a'.lstrip() }}|{{ 'a '.rstrip() }}.", Map.of()))
                .isEqualTo("a b|a|a|a.");
        assertThat(render("{{ 'abc'.startswith('a') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith('b') }}", Map.of()))
                .isEqualTo("true true false");
        assertThat(render("{{ 'a,b,c'.split(',')[1] }} {{ 'a b  c'.split() | length }} {{ 'Ab'.upper() }}{{ 'Ab'.lower() }}", Map.of()))
                .isEqualTo("b 3 ABab");
        assertThat(render("{{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ 'aaa'.replace('a', 'b') }}", Map.of()))
                .isEqualTo("Hello World Hello bbb");
        assertThat(render("{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}{% for k in d.keys() %}{{ k }}{% endfor %}",
                Map.of("d", new LinkedHashMap<>(Map.of("a", 1)))))
                .isEqualTo("a=1;a");
        assertThat(render("{% for m in xs %}{{ m }}{% if not loop.last %},{% endif %}{% endfor %}", Map.of("xs", List.of(1, 2, 3))))
                .isEqualTo("1,2,3");
        assertThat(render("{{ bos_token }}{{ eos_token }}{{ add_generation_prompt }}{{ messages | length }}", Map.of()))
                .isEqualTo("<s></s>false0");
        assertThat(render("{{ strftime_now('%Y-%m-%d %H:%M %A %B %-d') }}", Map.of()))
                .isEqualTo("2026-11-26 12:00 Thursday November 26");
    }

    @Test
    void unaryNotHasJinja2Precedence() {
        Map<String, Object> vars = Map.of("xs", List.of(1, 2), "a", false, "b", true);
        assertThat(render("{{ not xs|length == 1 }} {{ not a and b }} {{ not (a or b) }} {{ 3 not in xs }} "
                + "{{ a is not none }} {{ not missing is defined }} {{ [not a, not b] }} {{ 'not x' if not a else 'y' }}", vars))
                .isEqualTo("true true false true true true [true, false] not x");
        assertThat(Jinja2Compat.rewriteExpression(" if not x|length == 1 and y ")).isEqualTo(" if not (x|length == 1) and y ");
    }

    @Test
    void whitespaceControlMatchesTransformersJinjaEnvironment() {
        // trim_blocks + lstrip_blocks, and one trailing newline of the template dropped.
        assertThat(render("  {% if true %}\n  yes\n  {% endif %}\nend\n", Map.of())).isEqualTo("  yes\nend");
        assertThat(render("a  {%- if true -%}  b  {%- endif %}\n", Map.of())).isEqualTo("ab");
        assertThat(render("{% for x in [1, 2] %}\n{{ x }}\n{% endfor %}", Map.of())).isEqualTo("1\n2\n");
        assertThat(render("a\n  {{- 'b' -}}  \n c {#- note -#} d {{ '}}' }}", Map.of())).isEqualTo("abcd }}");
    }

    @Test
    void tojsonWritesWhatPythonJsonDumpsWrites() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1, 2.5, true));
        m.put("a", "é \"q\"\n");
        m.put("n", null);
        assertThat(render("{{ m | tojson }}", Map.of("m", m))).isEqualTo("{\"b\": [1, 2.5, true], \"a\": \"é \\\"q\\\"\\n\", \"n\": null}");
        assertThat(render("{{ m | tojson(sort_keys=true) }}", Map.of("m", m))).startsWith("{\"a\": ");
        assertThat(render("{{ {'k': []} | tojson(indent=2) }}", Map.of())).isEqualTo("{\n  \"k\": []\n}");
        assertThat(render("{{ 3.0 | tojson }} {{ 'x' | tojson }}", Map.of())).isEqualTo("3.0 \"x\"");
    }

    @Test
    void chatTemplateJinjaFileWinsOverTokenizerConfig(@TempDir Path dir) throws IOException {
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(Fixtures.dir("tiny-stablelm2").resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("chat_template.jinja"),
                "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertThat(ChatTemplates.load(dir, tok).render(List.of(ChatMessage.user("hi")), true))
                    .isEqualTo("[user] hi\n");
        }
    }

    @Test
    void namedTemplateListUsesDefault(@TempDir Path dir) throws IOException {
        Files.copy(Fixtures.dir("tiny-pythia").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                 "chat_template": [{"name": "tool_use", "template": "TOOLS"},
                                   {"name": "default", "template": "{{ eos_token }}{{ messages[0].content }}"}]}""");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertThat(ChatTemplates.load(dir, tok).render(List.of(ChatMessage.user("hi")), true))
                    .isEqualTo("<|endoftext|>hi");
            Files.writeString(dir.resolve("tokenizer_config.json"),
                    "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}]}");
            assertThatThrownBy(() -> ChatTemplates.load(dir, tok))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("tokenizer_config.json").hasMessageContaining("tool_use")
                    .hasMessageContaining("default");
            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 5}");
            assertThatThrownBy(() -> ChatTemplates.load(dir, tok))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("chat_template");
        }
    }
}
