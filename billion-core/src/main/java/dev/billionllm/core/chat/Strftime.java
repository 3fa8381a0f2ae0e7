package dev.billionllm.core.chat;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Python's {@code strftime} directives (C locale), for the {@code strftime_now} template function. */
final class Strftime {

    private Strftime() {}

    static String format(String format, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < format.length()) { // glibc "%-d": no zero padding
                noPad = true;
                d = format.charAt(++i);
            }
            String v = switch (d) {
                case 'd' -> two(t.getDayOfMonth());
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case 'm' -> two(t.getMonthValue());
                case 'Y' -> String.valueOf(t.getYear());
                case 'y' -> two(t.getYear() % 100);
                case 'H' -> two(t.getHour());
                case 'I' -> two(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12);
                case 'M' -> two(t.getMinute());
                case 'S' -> two(t.getSecond());
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'b', 'h' -> pattern("MMM", t);
                case 'B' -> pattern("MMMM", t);
                case 'a' -> pattern("EEE", t);
                case 'A' -> pattern("EEEE", t);
                case 'j' -> String.format("%03d", t.getDayOfYear());
                case 'Z' -> pattern("zzz", t);
                case 'z' -> pattern("xx", t);
                case 'F' -> format("%Y-%m-%d", t);
                case 'T' -> format("%H:%M:%S", t);
                case '%' -> "%";
                default -> "%" + d;
            };
            if (noPad && v.length() > 1 && (v.charAt(0) == '0' || v.charAt(0) == ' ')) {
                v = v.replaceFirst("^[0 ]+(?=.)", "");
            }
            sb.append(v);
        }
        return sb.toString();
    }

    private static String two(int v) {
        return String.format("%02d", v);
    }

    private static String pattern(String p, ZonedDateTime t) {
        return DateTimeFormatter.ofPattern(p, Locale.ENGLISH).format(t);
    }
}
