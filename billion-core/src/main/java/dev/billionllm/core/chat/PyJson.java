package dev.billionllm.core.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., sort_keys=...)}, which is what
 * transformers' {@code tojson} filter calls: templates show these bytes to the model, so spacing
 * must match exactly ({@code ", "} and {@code ": "} without indent, {@code ","} plus newline with it).
 */
final class PyJson {

    private PyJson() {}

    /** @param indent spaces per level, or negative for a single line */
    static String dumps(Object value, int indent, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, sortKeys, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int indent, boolean sort, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte || v instanceof java.math.BigInteger) {
            sb.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) {
                sb.append("NaN");
            } else if (Double.isInfinite(d)) {
                sb.append(d > 0 ? "Infinity" : "-Infinity");
            } else {
                sb.append(pythonFloat(d));
            }
        } else if (v instanceof Map<?, ?> m) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sort) {
                entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
            }
            if (entries.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            for (int i = 0; i < entries.size(); i++) {
                separator(sb, i, indent, depth + 1);
                string(sb, String.valueOf(entries.get(i).getKey()));
                sb.append(": ");
                write(sb, entries.get(i).getValue(), indent, sort, depth + 1);
            }
            close(sb, indent, depth);
            sb.append('}');
        } else if (v instanceof Collection<?> || v instanceof Object[]) {
            List<?> items = v instanceof Object[] a ? List.of(a) : new ArrayList<>((Collection<?>) v);
            if (items.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < items.size(); i++) {
                separator(sb, i, indent, depth + 1);
                write(sb, items.get(i), indent, sort, depth + 1);
            }
            close(sb, indent, depth);
            sb.append(']');
        } else {
            string(sb, v.toString());
        }
    }

    private static void separator(StringBuilder sb, int i, int indent, int depth) {
        if (indent < 0) {
            if (i > 0) {
                sb.append(", ");
            }
        } else {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void close(StringBuilder sb, int indent, int depth) {
        if (indent >= 0) {
            sb.append('\n').append(" ".repeat(indent * depth));
        }
    }

    /** Python's float repr for finite values: shortest round-trip digits, "1.0" not "1". */
    private static String pythonFloat(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return String.valueOf((long) d) + ".0";
        }
        String s = Double.toString(d); // shortest round-trip, like Python's repr
        if (s.contains("E")) {
            String[] p = s.split("E");
            int exp = Integer.parseInt(p[1]);
            String mant = p[0].endsWith(".0") ? p[0].substring(0, p[0].length() - 2) : p[0];
            return mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        return s;
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
