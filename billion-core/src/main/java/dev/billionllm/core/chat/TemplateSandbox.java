package dev.billionllm.core.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ForLoop;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;

/**
 * A jinjava engine that renders only what Jinja2's immutable sandbox (which transformers uses)
 * would: the Jinja2 built-in filters, {@code range}/{@code namespace}, Python {@code str} and
 * {@code dict} methods, no loading of other templates, and every limit of {@link TemplateLimits}
 * enforced against the {@link RenderBudget} of the render in progress.
 *
 * <p>Where each limit is enforced: time at every node and hook; loop iterations by {@code for}
 * before it iterates; output and string sizes by jinjava's own output and string-length limits,
 * by every filter's arguments and result, and by the Python methods; nesting on the source before
 * parsing ({@link Jinja2Compat#nesting}); macro recursion by jinjava's recursion limit.
 */
final class TemplateSandbox {

    private TemplateSandbox() {}

    /** Jinja2's built-in filters that jinjava has (jinjava's own extras are disabled). */
    static final Set<String> JINJA2_FILTERS = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d",
            "default", "dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape", "format",
            "groupby", "indent", "int", "join", "last", "length", "list", "lower", "map", "pprint", "reject",
            "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string",
            "striptags", "sum", "title", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
            "wordwrap", "xmlattr", "tojson", "items");

    /** Jinja2 globals jinjava has, plus jinjava's internal helpers for list and dict literals. */
    private static final Set<String> ALLOWED_FUNCTIONS = Set.of("range", "namespace", "super", "immutable_list",
            "list", "map_entry");

    /** Tags that load other templates: a chat template is one self-contained file. */
    private static final Set<String> LOADING_TAGS = Set.of("include", "import", "from", "extends");

    /** What jinjava's stock libraries hold beyond Jinja2's vocabulary; computed once (building a Jinjava is slow). */
    private static final class Disabled {
        static final Map<Context.Library, Set<String>> NAMES = compute();

        private static Map<Context.Library, Set<String>> compute() {
            Jinjava stock = new Jinjava();
            Set<String> filters = new HashSet<>();
            stock.getGlobalContext().getAllFilters().forEach(f -> filters.add(f.getName()));
            filters.removeAll(JINJA2_FILTERS);
            Set<String> functions = new HashSet<>();
            for (ELFunctionDefinition f : stock.getGlobalContext().getAllFunctions()) {
                if (!ALLOWED_FUNCTIONS.contains(f.getLocalName())) {
                    functions.add(f.getName());
                    functions.add(f.getLocalName());
                }
            }
            return Map.of(Context.Library.FILTER, Set.copyOf(filters), Context.Library.FUNCTION, Set.copyOf(functions),
                    Context.Library.TAG, LOADING_TAGS);
        }
    }

    static Jinjava newJinjava(TemplateLimits limits) {
        Map<Context.Library, Set<String>> disabled = Disabled.NAMES;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyMethodResolver());
        resolver.add(new JavaAccessDenier());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        int size = (int) Math.min(Integer.MAX_VALUE, limits.maxOutputChars());
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Nested interpretation would render "{{ ... }}" found inside message contents as
                // template code; contents are data (from users, and from HTTP clients in billion serve).
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withDisabled(disabled)
                .withMaxOutputSize(limits.maxOutputChars())
                .withMaxStringLength(limits.maxOutputChars())
                .withMaxListSize(size)
                .withMaxMapSize(size)
                .withRangeLimit((int) limits.maxLoopIterations())
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(limits.maxMacroRecursion())
                .withNodePreProcessor((node, interpreter) -> check())
                .build());
        jinjava.setResourceLocator((name, charset, interpreter) -> {
            throw budget().fail("tried to load \"" + name + "\": chat templates may not include, import or "
                    + "extend other templates");
        });
        var ctx = jinjava.getGlobalContext();
        ctx.registerTag(new BudgetedForTag());
        for (Filter f : List.copyOf(ctx.getAllFilters())) {
            if (JINJA2_FILTERS.contains(f.getName())) {
                ctx.registerFilter(new GuardedFilter(f));
            }
        }
        return jinjava;
    }

    private static RenderBudget budget() {
        RenderBudget b = RenderBudget.current();
        if (b == null) {
            throw new IllegalStateException("a chat template hook ran outside JinjaChatTemplate.render");
        }
        return b;
    }

    private static void check() {
        budget().check();
    }

    /** {@code for} that charges the loop's length to the render's budget before iterating. */
    static final class BudgetedForTag extends ForTag {
        private static final long serialVersionUID = 1L;

        @Override
        public String renderForCollection(TagNode tagNode, JinjavaInterpreter interpreter, List<String> loopVars,
                Object collection) {
            budget().chargeLoop(sizeOf(collection));
            return super.renderForCollection(tagNode, interpreter, loopVars, collection);
        }
    }

    static long sizeOf(Object o) {
        if (o instanceof Collection<?> c) {
            return c.size();
        }
        if (o instanceof Map<?, ?> m) {
            return m.size();
        }
        if (o instanceof Object[] a) {
            return a.length;
        }
        if (o instanceof CharSequence s) {
            return s.length();
        }
        return 1;
    }

    /**
     * A Jinja2 filter with its size-driving arguments ({@code center(width)}, {@code batch(n)},
     * {@code indent(width)}, ...) and its result held to the output limit.
     */
    static final class GuardedFilter implements Filter {
        // Compiled once: checkArgs runs on every filter call of every render.
        private static final Pattern INTEGER_TEXT = Pattern.compile("-?\\d{1,30}");

        private final Filter inner;

        GuardedFilter(Filter inner) {
            this.inner = inner;
        }

        @Override
        public String getName() {
            return inner.getName();
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            checkArgs(args);
            return checkResult(inner.filter(var, interpreter, args));
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            checkArgs(args);
            if (kwargs != null) {
                checkArgs(kwargs.values().toArray());
            }
            return checkResult(inner.filter(var, interpreter, args, kwargs));
        }

        private void checkArgs(Object[] args) {
            RenderBudget b = budget();
            b.check();
            if (args == null) {
                return;
            }
            for (Object a : args) {
                double n = Double.NaN;
                if (a instanceof Number num) {
                    n = num.doubleValue();
                } else if (a instanceof String s && INTEGER_TEXT.matcher(s.strip()).matches()) {
                    n = Double.parseDouble(s.strip());
                }
                if (Math.abs(n) > b.limits.maxOutputChars()) {
                    b.fail("filter |" + getName() + " was given " + a + ", over the output limit of "
                            + b.limits.maxOutputChars() + " (TemplateLimits.maxOutputChars)");
                }
            }
        }

        private Object checkResult(Object result) {
            if (result instanceof CharSequence || result instanceof Collection<?> || result instanceof Map<?, ?>) {
                budget().checkSize(sizeOf(result), "filter |" + getName());
            }
            return result;
        }
    }

    /**
     * Refuses Java methods and bean properties: jinjava would otherwise let a template call any
     * public method ({@code 'x'.repeat(n)}, {@code .getBytes()}) or getter. Maps, lists, the loop
     * object and jinjava's own objects keep their attribute access; Python methods are resolved
     * before this by {@link PyMethodResolver}.
     */
    static final class JavaAccessDenier extends ReadOnlyResolver {

        private static boolean open(Object base) {
            return base == null || base instanceof Map<?, ?> || base instanceof List<?> || base.getClass().isArray()
                    || base.getClass().getName().startsWith("com.hubspot.jinjava.");
        }

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            String name = String.valueOf(method);
            // jinjava applies filters and tests by invoking them as objects; loop.cycle() is Jinja2's.
            if (base == null || (base instanceof ForLoop && name.equals("cycle"))
                    || (base instanceof Filter && name.equals("filter"))
                    || (base instanceof ExpTest && name.startsWith("evaluate"))) {
                return null;
            }
            throw budget().fail("calls ." + method + "() on a " + pythonType(base)
                    + ", which is not a method chat templates may call (Python str methods "
                    + PyFilters.STRING_METHODS + " and dict methods " + PyFilters.DICT_METHODS + " are)");
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            if (open(base) || (base instanceof CharSequence && property instanceof Number)) {
                return null;
            }
            // As in Jinja2, an attribute a value does not have is undefined.
            context.setPropertyResolved(true);
            return null;
        }

        private static String pythonType(Object base) {
            if (base instanceof CharSequence) {
                return "str";
            }
            if (base instanceof Map<?, ?>) {
                return "dict";
            }
            if (base instanceof Collection<?>) {
                return "list";
            }
            if (base instanceof Number || base instanceof Boolean) {
                return base instanceof Boolean ? "bool" : "number";
            }
            return "value";
        }
    }
}
