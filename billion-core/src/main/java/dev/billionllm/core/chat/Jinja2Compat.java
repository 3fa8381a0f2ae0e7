package dev.billionllm.core.chat;

import java.util.Set;

/**
 * Rewrites a Jinja2 chat template into source that jinjava renders the same way. Each rule below
 * fixes a difference found with real Hugging Face templates:
 * <ul>
 *   <li>{@code {{-}, {@code -}}} (and the {@code {%- -%}}, {@code {#- -#}} forms) strip the
 *       whitespace around them: jinjava ignores the expression forms, so all stripping is done here
 *       and the dashes removed;
 *   <li>unary {@code not} binds looser than comparisons and tests in Jinja2 ({@code not x|length ==
 *       1} is {@code not (x|length == 1)}) but tighter in jinjava, so its operand is parenthesised;
 *   <li>one trailing newline of the template is dropped (Jinja2's {@code keep_trailing_newline=False}).
 * </ul>
 * String literals inside tags are left untouched.
 */
final class Jinja2Compat {

    private Jinja2Compat() {}

    // Tokens after which "not" is the unary operator (not "is not" / "not in").
    private static final Set<String> BEFORE_UNARY = Set.of("", "(", "[", "{", ",", "=", "and", "or", "not", "if",
            "elif", "else", "in", "return", ":");
    private static final Set<String> STOP_WORDS = Set.of("and", "or", "if", "else", "for");

    static String rewrite(String template) {
        String t = dropOneTrailingNewline(template);
        StringBuilder out = new StringBuilder(t.length() + 64);
        int i = 0;
        boolean stripNextText = false;
        while (i < t.length()) {
            int open = nextOpen(t, i);
            String text = t.substring(i, open < 0 ? t.length() : open);
            if (stripNextText) {
                text = stripLeading(text);
            }
            if (open < 0) {
                out.append(text);
                break;
            }
            char kind = t.charAt(open + 1); // '{', '%' or '#'
            int bodyStart = open + 2;
            boolean stripBefore = bodyStart < t.length() && t.charAt(bodyStart) == '-';
            if (stripBefore) {
                text = stripTrailing(text);
                bodyStart++;
            }
            out.append(text);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int end = findClose(t, bodyStart, close, kind != '#');
            if (end < 0) { // unterminated: leave it for jinjava to report
                out.append(t, open, t.length());
                break;
            }
            String body = t.substring(bodyStart, end);
            stripNextText = body.endsWith("-");
            if (stripNextText) {
                body = body.substring(0, body.length() - 1);
            }
            out.append('{').append(kind);
            out.append(kind == '#' ? body : rewriteExpression(body));
            out.append(close);
            i = end + 2;
        }
        return out.toString();
    }

    /** Deepest block nesting and deepest bracket nesting inside one tag of a template. */
    record Nesting(int blocks, int brackets) {}

    // Tags that open a block closed by an "end..." tag ("set" only in its block form, without "=").
    private static final Set<String> BLOCK_TAGS = Set.of("if", "for", "macro", "call", "filter", "raw", "block",
            "with", "autoescape", "set", "unless", "ifchanged");

    /**
     * Measures nesting on the source, in one linear pass: jinjava parses and renders nested blocks
     * and brackets recursively, so a template nested thousands deep would overflow the stack (or,
     * for brackets, take minutes) before any render-time limit could act.
     */
    static Nesting nesting(String t) {
        java.util.ArrayDeque<String> open = new java.util.ArrayDeque<>();
        int maxBlocks = 0;
        int maxBrackets = 0;
        int i = 0;
        while (i < t.length()) {
            int start = nextOpen(t, i);
            if (start < 0) {
                break;
            }
            char kind = t.charAt(start + 1);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int end = findClose(t, start + 2, close, kind != '#');
            if (end < 0) {
                break;
            }
            String body = t.substring(start + 2, end);
            if (kind != '#') {
                maxBrackets = Math.max(maxBrackets, bracketDepth(body));
            }
            if (kind == '%') {
                String b = body.startsWith("-") ? body.substring(1).strip() : body.strip();
                int w = 0;
                while (w < b.length() && (Character.isLetter(b.charAt(w)) || b.charAt(w) == '_')) {
                    w++;
                }
                String word = b.substring(0, w);
                // Only an end tag that closes the innermost block counts: a stray one must not hide depth.
                if (word.startsWith("end") && word.substring(3).equals(open.peek())) {
                    open.pop();
                } else if (BLOCK_TAGS.contains(word) && !(word.equals("set") && b.contains("="))) {
                    open.push(word);
                    maxBlocks = Math.max(maxBlocks, open.size());
                }
            }
            i = end + 2;
        }
        return new Nesting(maxBlocks, maxBrackets);
    }

    private static int bracketDepth(String body) {
        int depth = 0;
        int max = 0;
        for (int j = 0; j < body.length(); j++) {
            char c = body.charAt(j);
            if (c == '\'' || c == '"') {
                j = skipString(body, j) - 1;
            } else if (c == '(' || c == '[' || c == '{') {
                max = Math.max(max, ++depth);
            } else if (c == ')' || c == ']' || c == '}') {
                depth = Math.max(0, depth - 1);
            }
        }
        return max;
    }

    static String dropOneTrailingNewline(String t) {
        if (t.endsWith("\r\n")) {
            return t.substring(0, t.length() - 2);
        }
        return t.endsWith("\n") ? t.substring(0, t.length() - 1) : t;
    }

    private static int nextOpen(String t, int from) {
        for (int j = from; j + 1 < t.length(); j++) {
            char c = t.charAt(j + 1);
            if (t.charAt(j) == '{' && (c == '{' || c == '%' || c == '#')) {
                return j;
            }
        }
        return -1;
    }

    private static int findClose(String t, int from, String close, boolean quotesMatter) {
        char quote = 0;
        for (int j = from; j < t.length(); j++) {
            char c = t.charAt(j);
            if (quote != 0) {
                if (c == '\\') {
                    j++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (quotesMatter && (c == '\'' || c == '"')) {
                quote = c;
            } else if (t.startsWith(close, j)) {
                return j;
            }
        }
        return -1;
    }

    private static String stripLeading(String s) {
        int k = 0;
        while (k < s.length() && Character.isWhitespace(s.charAt(k))) {
            k++;
        }
        return s.substring(k);
    }

    private static String stripTrailing(String s) {
        int k = s.length();
        while (k > 0 && Character.isWhitespace(s.charAt(k - 1))) {
            k--;
        }
        return s.substring(0, k);
    }

    /** Applies the {@code not} rule to a tag body, outside string literals. */
    static String rewriteExpression(String body) {
        StringBuilder out = new StringBuilder(body.length() + 16);
        int i = 0;
        String previous = "";
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(body, i);
                out.append(body, i, end);
                previous = "'";
                i = end;
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < body.length() && (Character.isLetterOrDigit(body.charAt(end)) || body.charAt(end) == '_')) {
                    end++;
                }
                String word = body.substring(i, end);
                if (word.equals("not") && BEFORE_UNARY.contains(previous) && !nextWordIs(body, end, "in")) {
                    int stop = operandEnd(body, end);
                    out.append("not (").append(rewriteExpression(body.substring(end, stop)).strip()).append(") ");
                    previous = ")";
                    i = stop;
                } else {
                    out.append(word);
                    previous = word;
                    i = end;
                }
            } else {
                out.append(c);
                if (!Character.isWhitespace(c)) {
                    previous = String.valueOf(c);
                    if (c == '=' && out.length() > 1 && "=!<>".indexOf(out.charAt(out.length() - 2)) >= 0) {
                        previous = "=="; // a comparison, not an assignment: "not" cannot follow as an operand
                    }
                }
                i++;
            }
        }
        return out.toString();
    }

    private static int skipString(String s, int start) {
        char q = s.charAt(start);
        for (int j = start + 1; j < s.length(); j++) {
            if (s.charAt(j) == '\\') {
                j++;
            } else if (s.charAt(j) == q) {
                return j + 1;
            }
        }
        return s.length();
    }

    private static boolean nextWordIs(String s, int from, String word) {
        int j = from;
        while (j < s.length() && Character.isWhitespace(s.charAt(j))) {
            j++;
        }
        int end = j + word.length();
        return s.startsWith(word, j) && (end == s.length() || !Character.isLetterOrDigit(s.charAt(end)));
    }

    /** End of the operand of a unary not: the next top-level and/or/if/else/for, comma or closer. */
    private static int operandEnd(String s, int from) {
        int depth = 0;
        int j = from;
        while (j < s.length()) {
            char c = s.charAt(j);
            if (c == '\'' || c == '"') {
                j = skipString(s, j);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return j;
                }
                depth--;
            } else if (depth == 0 && c == ',') {
                return j;
            } else if (depth == 0 && (Character.isLetter(c) || c == '_')
                    && (j == 0 || !(Character.isLetterOrDigit(s.charAt(j - 1)) || s.charAt(j - 1) == '_'))) {
                int end = j;
                while (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) {
                    end++;
                }
                if (STOP_WORDS.contains(s.substring(j, end)) && j > from) {
                    return j;
                }
                j = end;
                continue;
            }
            j++;
        }
        return s.length();
    }
}
