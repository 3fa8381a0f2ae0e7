package dev.billionllm.core.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/** Filters, tests and methods that give chat templates the Python/Jinja2 behaviour jinjava lacks. */
final class PyFilters {

    private PyFilters() {}

    /** A filter with positional and keyword arguments. */
    abstract static class Named implements Filter {
        private final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public abstract Object filter(Object var, JinjavaInterpreter interpreter, Object[] args,
                Map<String, Object> kwargs);
    }

    /** Python's {@code iterable} test: strings, maps, lists and arrays are all iterable. */
    static final class PythonIterable implements com.hubspot.jinjava.lib.exptest.ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof Iterable<?> || var instanceof Map<?, ?>
                    || (var != null && var.getClass().isArray());
        }
    }

    private static Named of(String name, BiFunction<Object, Object[], Object> f) {
        return new Named(name) {
            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kw) {
                return f.apply(var, args);
            }
        };
    }

    static List<Named> all() {
        return List.of(
                new Named("tojson") {
                    @Override
                    public Object filter(Object var, JinjavaInterpreter in, Object[] args, Map<String, Object> kw) {
                        Object indent = kw.containsKey("indent") ? kw.get("indent") : arg(args, 0);
                        boolean sort = Boolean.TRUE.equals(kw.get("sort_keys"));
                        return PyJson.dumps(var, indent == null ? -1 : ((Number) toNumber(indent)).intValue(), sort);
                    }
                },
                of("items", (v, a) -> v instanceof Map<?, ?> m ? items(m) : List.of()));
    }

    /** Python's {@code str} and {@code dict} methods that templates call; null if not one of them. */
    static Object callMethod(Object base, String name, Object[] a) {
        if (base instanceof CharSequence cs) {
            String s = cs.toString();
            return switch (name) {
                case "strip" -> strip(s, arg(a, 0), true, true);
                case "lstrip" -> strip(s, arg(a, 0), true, false);
                case "rstrip" -> strip(s, arg(a, 0), false, true);
                case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
                case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
                case "title" -> title(s);
                case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                        + s.substring(1).toLowerCase(java.util.Locale.ROOT);
                case "startswith" -> affix(s, a[0], true);
                case "endswith" -> affix(s, a[0], false);
                case "replace" -> replace(s, str(a[0]), str(a[1]), a.length > 2 ? ((Number) toNumber(a[2])).longValue() : -1);
                case "split" -> split(s, arg(a, 0), a.length > 1 ? ((Number) toNumber(a[1])).intValue() : -1);
                default -> null;
            };
        }
        if (base instanceof Map<?, ?> m) {
            return switch (name) {
                case "keys" -> new ArrayList<>(m.keySet());
                case "values" -> new ArrayList<>(m.values());
                case "items" -> items(m);
                case "get" -> m.containsKey(a[0]) ? m.get(a[0]) : arg(a, 1);
                default -> null;
            };
        }
        return null;
    }

    static final Set<String> STRING_METHODS = new java.util.TreeSet<>(Set.of("strip", "lstrip", "rstrip", "upper",
            "lower", "title", "capitalize", "startswith", "endswith", "replace", "split"));
    static final Set<String> DICT_METHODS = new java.util.TreeSet<>(Set.of("keys", "values", "items", "get"));

    static boolean isMethod(Object base, String name) {
        if (base instanceof CharSequence) {
            return STRING_METHODS.contains(name);
        }
        return base instanceof Map<?, ?> && DICT_METHODS.contains(name);
    }

    private static List<List<Object>> items(Map<?, ?> m) {
        List<List<Object>> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            out.add(Arrays.asList(e.getKey(), e.getValue()));
        }
        return out;
    }

    /**
     * Python's {@code str.replace(old, new, count)}: an empty {@code old} matches before every
     * character and at the end. The result's size is checked against the render's output limit
     * before it is built.
     */
    private static String replace(String s, String from, String to, long count) {
        long max = count < 0 ? Long.MAX_VALUE : count;
        long matches = 0;
        if (from.isEmpty()) {
            matches = Math.min(max, s.length() + 1L);
        } else {
            for (int j = s.indexOf(from); j >= 0 && matches < max; j = s.indexOf(from, j + from.length())) {
                matches++;
            }
        }
        checkSize(s.length() + matches * (to.length() - from.length()), "'...'.replace()");
        StringBuilder sb = new StringBuilder();
        int at = 0;
        for (long i = 0; i < matches; i++) {
            if (from.isEmpty()) {
                sb.append(to);
                if (at < s.length()) {
                    sb.append(s.charAt(at));
                }
                at++;
            } else {
                int j = s.indexOf(from, at);
                sb.append(s, at, j).append(to);
                at = j + from.length();
            }
        }
        return at < s.length() ? sb.append(s, at, s.length()).toString() : sb.toString();
    }

    private static void checkSize(long size, String what) {
        RenderBudget b = RenderBudget.current();
        if (b != null) {
            b.checkSize(size, what);
        }
    }

    /** A Python exception ({@code ValueError: ...}), reported as the render's failure. */
    private static RuntimeException pythonError(String message) {
        RenderBudget b = RenderBudget.current();
        if (b != null) {
            throw b.fail(message);
        }
        throw new IllegalArgumentException(message);
    }

    private static Object arg(Object[] a, int i) {
        return a != null && a.length > i ? a[i] : null;
    }

    private static Object toNumber(Object o) {
        return o instanceof Number ? o : Long.parseLong(String.valueOf(o).trim());
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    private static boolean affix(String s, Object arg, boolean prefix) {
        // Python accepts a tuple of candidates.
        Collection<?> options = arg instanceof Collection<?> c ? c : List.of(str(arg));
        for (Object o : options) {
            if (prefix ? s.startsWith(str(o)) : s.endsWith(str(o))) {
                return true;
            }
        }
        return false;
    }

    private static String strip(String s, Object chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        String set = chars == null ? null : str(chars);
        while (left && from < to && stripped(s.charAt(from), set)) {
            from++;
        }
        while (right && to > from && stripped(s.charAt(to - 1), set)) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean stripped(char c, String set) {
        return set == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : set.indexOf(c) >= 0;
    }

    private static List<String> split(String s, Object sep, int max) {
        List<String> out = new ArrayList<>();
        if (sep == null) { // Python: runs of whitespace, no empty strings
            for (String p : s.strip().split("\\s+", max < 0 ? 0 : max + 1)) {
                if (!p.isEmpty()) {
                    out.add(p);
                }
            }
            return out;
        }
        String d = str(sep);
        if (d.isEmpty()) {
            throw pythonError("ValueError: empty separator (in '...'.split(''))");
        }
        int at = 0;
        while (max < 0 || out.size() < max) {
            int j = s.indexOf(d, at);
            if (j < 0) {
                break;
            }
            out.add(s.substring(at, j));
            at = j + d.length();
        }
        out.add(s.substring(at));
        return out;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevLetter = false;
        for (char c : s.toCharArray()) {
            sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return sb.toString();
    }
}
