package dev.billionllm.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.billionllm.core.BillionException;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's own Jinja chat template, rendered like transformers' {@code apply_chat_template}.
 *
 * <pre>{@code
 * ChatTemplate t = new JinjaChatTemplate(templateText, "<s>", "</s>", "tokenizer_config.json");
 * String prompt = t.render(List.of(ChatMessage.system("Be terse."), ChatMessage.user("hi")), true);
 * int[] ids = tokenizer.encode(prompt, false); // the template already wrote BOS etc.
 * }</pre>
 *
 * <p>Runs on jinjava, set up to behave as transformers' Jinja2 environment:
 * <ul>
 *   <li>{@code trim_blocks} and {@code lstrip_blocks} on, whitespace control ({@code {{- -}}}),
 *       Jinja2's precedence of {@code not}, and one trailing newline of the template dropped
 *       (Jinja2's {@code keep_trailing_newline=False}): see {@code Jinja2Compat};
 *   <li>variables {@code messages}, {@code bos_token}, {@code eos_token}, {@code
 *       add_generation_prompt}, plus any extra ones given to {@link #render(List, boolean, Map)}
 *       (for example {@code tools}, {@code date_string});
 *   <li>functions {@code raise_exception(msg)} (throws a {@link BillionException} with the
 *       template's message) and {@code strftime_now(format)} (Python strftime directives);
 *   <li>a {@code tojson} filter that writes what Python's {@code json.dumps} writes ({@code ", "} and
 *       {@code ": "} separators, {@code indent=}, {@code sort_keys=}, non-ASCII kept), and an {@code
 *       items} filter;
 *   <li>the Python string methods templates call ({@code .strip() .lstrip() .rstrip()
 *       .startswith() .endswith() .split() .upper() .lower() .title() .capitalize() .replace()}) and
 *       {@code dict} methods ({@code .keys() .values() .items() .get(k, default)}), resolved by
 *       {@code PyMethodResolver} because jinjava would call Java methods;
 *   <li>the {@code iterable} test is true for strings, as in Python (Llama 3's template relies on
 *       it to {@code tojson} tool results).
 * </ul>
 *
 * <p>Any template error (a syntax error, an unknown function) throws a {@link BillionException}
 * naming the template's source, rather than returning a silently wrong prompt. Thread-safe.
 */
public final class JinjaChatTemplate implements ChatTemplate {

    // Per-render state for the static functions jinjava calls.
    private static final ThreadLocal<RenderState> STATE = new ThreadLocal<>();

    private final String source;
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;
    private final Jinjava jinjava;

    /**
     * @param template the Jinja source
     * @param bosToken value of {@code bos_token} (may be null: then "")
     * @param eosToken value of {@code eos_token} (may be null: then "")
     * @param source where the template came from, for error messages
     */
    public JinjaChatTemplate(String template, String bosToken, String eosToken, String source) {
        this(template, bosToken, eosToken, source, Clock.systemDefaultZone());
    }

    /** As above, with the clock {@code strftime_now} reads (for reproducible prompts and tests). */
    public JinjaChatTemplate(String template, String bosToken, String eosToken, String source, Clock clock) {
        Objects.requireNonNull(template, "template");
        this.source = Objects.requireNonNull(source, "source");
        this.template = Jinja2Compat.rewrite(template);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.clock = Objects.requireNonNull(clock, "clock");
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        // Nested interpretation would render "{{ ... }}" found inside message contents as template
        // code; contents are data (they come from users, and from HTTP clients in billion serve).
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver).build());
        var ctx = jinjava.getGlobalContext();
        ctx.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class,
                "raiseException", Object.class));
        ctx.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaChatTemplate.class,
                "strftimeNow", String.class));
        for (PyFilters.Named f : PyFilters.all()) {
            ctx.registerFilter(f);
        }
        ctx.registerExpTest(new PyFilters.PythonIterable());
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> maps = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        return render(maps, addGenerationPrompt, Map.of());
    }

    /**
     * Renders messages given as maps (so they may carry {@code tool_calls} and other fields) with
     * extra template variables such as {@code tools} or {@code date_string}.
     *
     * @throws BillionException if the template fails or calls {@code raise_exception}
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
            Map<String, ?> variables) {
        Map<String, Object> vars = new HashMap<>(variables);
        vars.put("messages", messages);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        vars.put("add_generation_prompt", addGenerationPrompt);
        // transformers defines these as globals, and templates test "strftime_now is defined".
        vars.put("strftime_now", "function");
        vars.put("raise_exception", "function");
        RenderState state = new RenderState(clock);
        STATE.set(state);
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, vars);
        } finally {
            STATE.remove();
        }
        if (state.raised != null) {
            throw new BillionException("Chat template (" + source + ") raised: " + state.raised);
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new BillionException("Chat template (" + source + ") failed at line " + e.getLineno()
                        + ": " + e.getMessage() + (e.getFieldName() == null ? "" : " in `" + e.getFieldName() + "`"));
            }
        }
        return result.getOutput();
    }

    @Override
    public boolean isModelTemplate() {
        return true;
    }

    /** Where the template came from (as given to the constructor). */
    public String source() {
        return source;
    }

    /** Called by templates as {@code raise_exception(message)}. */
    public static String raiseException(Object message) {
        RenderState s = STATE.get();
        if (s != null && s.raised == null) {
            s.raised = String.valueOf(message);
        }
        // jinjava turns exceptions into a generic error; the message is carried in STATE.
        throw new BillionException(String.valueOf(message));
    }

    /** Called by templates as {@code strftime_now(format)}. */
    public static String strftimeNow(String format) {
        RenderState s = STATE.get();
        Clock c = s == null ? Clock.systemDefaultZone() : s.clock;
        return Strftime.format(format, ZonedDateTime.now(c));
    }

    private static final class RenderState {
        final Clock clock;
        String raised;

        RenderState(Clock clock) {
            this.clock = clock;
        }
    }
}
