package dev.billionllm.core.hub;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes what looks like a credential from text before it is printed or logged: Hugging Face
 * tokens ({@code hf_...}, {@code api_org_...}), {@code Bearer}/{@code Basic} credentials, and the
 * user-info of URLs ({@code http://user:pass@host}). Used on every message that carries
 * server-supplied text (an {@code X-Error-Message} header, an error body) or a URL built from
 * {@code HF_ENDPOINT}: a server that echoes the {@code Authorization} header must not get the
 * token onto the user's terminal or into a log.
 *
 * <pre>{@code
 * throw new HubException(Secrets.redact("HTTP 401 from " + url + ": " + serverMessage));
 * }</pre>
 */
public final class Secrets {
    private static final String MASK = "***";
    // scheme://user[:password]@ -- the user-info ends at the first '@' before the path.
    private static final Pattern USER_INFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/@\\s]+@");
    private static final Pattern HF_TOKEN = Pattern.compile("\\b(hf_|api_org_)[A-Za-z0-9_-]{4,}");
    private static final Pattern AUTH_SCHEME = Pattern.compile(
            "(?i)\\b(Bearer|Basic)(\\s+)[A-Za-z0-9._~+/=-]{4,}|\\b(token|password|secret)(\\s*[=:]\\s*)[^\\s,;&\"')]{4,}");

    private Secrets() {}

    /** {@code text} with credentials replaced by {@code ***}; null stays null. */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String s = USER_INFO.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK + "@"));
        s = AUTH_SCHEME.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) != null
                ? m.group(1) + m.group(2) + MASK : m.group(3) + m.group(4) + MASK));
        return HF_TOKEN.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
    }

    /**
     * {@code cause} itself when no message in its chain holds a credential, else a stand-in chain
     * with redacted messages and the original stack traces (a {@code --verbose} trace prints the
     * causes too).
     */
    public static Throwable redactCause(Throwable cause) {
        if (cause == null || !leaks(cause)) {
            return cause;
        }
        Redacted r = new Redacted(cause.getClass().getName() + ": " + redact(cause.getMessage()),
                redactCause(cause.getCause()));
        r.setStackTrace(cause.getStackTrace());
        return r;
    }

    private static boolean leaks(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.equals(redact(m))) {
                return true;
            }
        }
        return false;
    }

    /** Stands in for an exception whose message held a credential. */
    static final class Redacted extends Exception {
        private static final long serialVersionUID = 1L;

        Redacted(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Server-supplied text made safe to print: redacted, control characters (which could rewrite
     * the terminal) replaced, and cut to {@code maxChars}.
     */
    public static String serverText(String text, int maxChars) {
        if (text == null) {
            return null;
        }
        String s = redact(text);
        StringBuilder sb = new StringBuilder(Math.min(s.length(), maxChars + 1));
        for (int i = 0; i < s.length() && sb.length() < maxChars; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) ? ' ' : c);
        }
        if (s.length() > maxChars) {
            sb.append("...");
        }
        return sb.toString().strip();
    }
}
