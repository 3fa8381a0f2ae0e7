package dev.billionllm.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.MacroTagCycleException;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.TemplateError.ErrorReason;
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
 *
 * <p>A template comes with a downloaded model, so it is untrusted code: it renders in a sandbox
 * ({@code TemplateSandbox}) like transformers' Jinja2 {@code ImmutableSandboxedEnvironment}. Only
 * Jinja2's built-in filters, the Python methods above and the globals above exist (no Java method
 * or getter of any value); {@code include}, {@code import}, {@code from} and {@code extends} are
 * refused (nothing is read from the class path or the disk); and the render is held to {@link
 * TemplateLimits}: time, output size, loop iterations over the whole render, nesting and macro
 * recursion. Python semantics hold where jinjava's differ ({@code 'a'.split('')} is a ValueError).
 */
public final class JinjaChatTemplate implements ChatTemplate {

    private final String source;
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;
    private final TemplateLimits limits;
    private final Jinjava jinjava;

    /**
     * @param template the Jinja source
     * @param bosToken value of {@code bos_token} (may be null: then "")
     * @param eosToken value of {@code eos_token} (may be null: then "")
     * @param source where the template came from, for error messages
     * @throws BillionException if the template breaks a source limit of {@link TemplateLimits#DEFAULTS}
     */
    public JinjaChatTemplate(String template, String bosToken, String eosToken, String source) {
        this(template, bosToken, eosToken, source, TemplateLimits.DEFAULTS);
    }

    /** As above, with the clock {@code strftime_now} reads (for reproducible prompts and tests). */
    public JinjaChatTemplate(String template, String bosToken, String eosToken, String source, Clock clock) {
        this(template, bosToken, eosToken, source, clock, TemplateLimits.DEFAULTS);
    }

    /** As above, with the sandbox's limits. */
    public JinjaChatTemplate(String template, String bosToken, String eosToken, String source,
            TemplateLimits limits) {
        this(template, bosToken, eosToken, source, Clock.systemDefaultZone(), limits);
    }

    /**
     * The general constructor.
     *
     * @throws BillionException if the template is longer or nested deeper than {@code limits} allow
     */
    public JinjaChatTemplate(String template, String bosToken, String eosToken, String source, Clock clock,
            TemplateLimits limits) {
        Objects.requireNonNull(template, "template");
        this.source = Objects.requireNonNull(source, "source");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.clock = Objects.requireNonNull(clock, "clock");
        if (template.length() > limits.maxTemplateChars()) {
            throw limitError("is " + template.length() + " characters long, over the limit of "
                    + limits.maxTemplateChars() + " (TemplateLimits.maxTemplateChars)");
        }
        Jinja2Compat.Nesting nesting = Jinja2Compat.nesting(template);
        if (nesting.blocks() > limits.maxNesting()) {
            throw limitError("nests blocks " + nesting.blocks() + " deep, over the limit of " + limits.maxNesting()
                    + " (TemplateLimits.maxNesting)");
        }
        if (nesting.brackets() > limits.maxNesting()) {
            throw limitError("nests brackets " + nesting.brackets() + " deep in one expression, over the limit of "
                    + limits.maxNesting() + " (TemplateLimits.maxNesting)");
        }
        try {
            this.template = Jinja2Compat.rewrite(template);
        } catch (StackOverflowError e) {
            throw limitError("is nested too deeply to read (a chain of thousands of operators?)");
        }
        this.jinjava = TemplateSandbox.newJinjava(limits);
        var ctx = jinjava.getGlobalContext();
        ctx.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class,
                "raiseException", Object.class));
        ctx.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaChatTemplate.class,
                "strftimeNow", String.class));
        for (PyFilters.Named f : PyFilters.all()) {
            ctx.registerFilter(new TemplateSandbox.GuardedFilter(f));
        }
        ctx.registerExpTest(new PyFilters.PythonIterable());
    }

    private BillionException limitError(String what) {
        return new BillionException("Chat template (" + source + ") " + what);
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
     * @throws BillionException if the template fails, calls {@code raise_exception} or breaks one of
     *     its {@link TemplateLimits} (the message names the template's source and the limit)
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
        RenderBudget budget = new RenderBudget(limits, clock);
        budget.enter();
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, vars);
        } catch (StackOverflowError e) {
            // The source checks bound nesting; this catches what they cannot see (long operator chains).
            throw limitError("overflowed the stack while rendering: its expressions or macros nest too deeply");
        } catch (OutOfMemoryError e) {
            throw limitError("ran out of memory while rendering (limits: " + limits + ")");
        } catch (RenderBudget.Stop e) {
            result = null;
        } finally {
            RenderBudget.exit();
        }
        if (budget.failure() != null) {
            throw limitError((budget.raisedByTemplate() ? "raised: " : "") + budget.failure());
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getException() instanceof MacroTagCycleException) {
                throw limitError("exceeded the macro recursion limit of " + limits.maxMacroRecursion()
                        + " (TemplateLimits.maxMacroRecursion): " + e.getMessage());
            }
            if (e.getException() instanceof OutputTooBigException || e.getReason() == ErrorReason.OUTPUT_TOO_BIG
                    || String.valueOf(e.getMessage()).contains("OutputTooBigException")) {
                throw limitError("exceeded the output limit of " + limits.maxOutputChars()
                        + " characters (TemplateLimits.maxOutputChars)");
            }
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw limitError("failed at line " + e.getLineno() + ": " + e.getMessage()
                        + (e.getFieldName() == null ? "" : " in `" + e.getFieldName() + "`"));
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

    /** The sandbox's limits. */
    public TemplateLimits limits() {
        return limits;
    }

    /** Called by templates as {@code raise_exception(message)}. */
    public static String raiseException(Object message) {
        RenderBudget b = RenderBudget.current();
        if (b == null) {
            throw new BillionException(String.valueOf(message));
        }
        throw b.raise(String.valueOf(message));
    }

    /** Called by templates as {@code strftime_now(format)}. */
    public static String strftimeNow(String format) {
        RenderBudget b = RenderBudget.current();
        Clock c = b == null ? Clock.systemDefaultZone() : b.clock;
        return Strftime.format(format, ZonedDateTime.now(c));
    }
}
