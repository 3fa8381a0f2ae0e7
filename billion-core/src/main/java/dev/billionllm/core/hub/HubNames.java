package dev.billionllm.core.hub;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Validation and encoding of the names that come from users or from the server and end up in
 * URLs or cache paths. Everything that becomes a path segment passes through here first, so a
 * hostile repo listing or header cannot write outside the cache.
 */
final class HubNames {

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern REVISION_SEGMENT = Pattern.compile("[A-Za-z0-9_+-][A-Za-z0-9._+-]*");
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");

    private HubNames() {}

    static boolean isCommitHash(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    static boolean isSha256(String etag) {
        return SHA256.matcher(etag).matches();
    }

    /**
     * Checks a branch, tag or commit name. Slashes are allowed ({@code refs/pr/1}) because the
     * ref file may live in a sub-folder of {@code refs/}, but no segment may be empty or start with
     * a dot, so {@code ..} can never appear.
     */
    static String checkRevision(String revision) {
        if (revision == null || revision.isEmpty() || revision.length() > 255) {
            throw new HubException(HubException.Reason.INVALID_NAME,
                    "Invalid revision \"" + revision + "\": expected a branch, tag or 40-hex commit (1 to 255 characters)");
        }
        for (String segment : revision.split("/", -1)) {
            if (!REVISION_SEGMENT.matcher(segment).matches()) {
                throw new HubException(HubException.Reason.INVALID_NAME, "Invalid revision \"" + revision
                        + "\": use letters, digits, '.', '_', '+', '-' and '/' between non-empty parts"
                        + " that do not start with '.'");
            }
        }
        return revision;
    }

    /**
     * Checks a file name from a repo listing: relative, '/'-separated, and unable to leave the
     * snapshot folder (no {@code ..}, {@code .}, empty parts, backslashes, drive letters or
     * control characters).
     */
    static String checkRepoFile(RepoId repo, String file) {
        String why = null;
        if (file == null || file.isEmpty()) {
            why = "it is empty";
        } else if (file.length() > 1024) {
            why = "it is longer than 1024 characters";
        } else if (file.startsWith("/")) {
            why = "it is an absolute path";
        } else if (file.indexOf('\\') >= 0) {
            why = "it contains a backslash";
        } else if (file.length() >= 2 && file.charAt(1) == ':') {
            why = "it starts with a drive letter";
        } else if (file.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            why = "it contains a control character";
        } else {
            for (String segment : file.split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    why = "it has an empty, '.' or '..' path segment";
                    break;
                }
            }
        }
        if (why != null) {
            throw new HubException(HubException.Reason.INVALID_NAME, "Refusing repo file name \"" + file
                    + "\" from " + repo + ": " + why + "; it could escape the snapshot folder");
        }
        return file;
    }

    /**
     * Turns an {@code ETag} header into a blob file name the way huggingface_hub does (drops a
     * weak {@code W/} prefix and the quotes), and rejects anything that is not a plain name.
     */
    static String normalizeEtag(String header, String url) {
        if (header == null) {
            return null;
        }
        String etag = header.trim();
        if (etag.startsWith("W/")) {
            etag = etag.substring(2);
        }
        if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            etag = etag.substring(1, etag.length() - 1);
        }
        if (!ETAG.matcher(etag).matches()) {
            throw new HubException(HubException.Reason.TRANSFER, "The server sent an unusable ETag \"" + header
                    + "\" for " + url + " (expected letters, digits, '.', '_' or '-')");
        }
        return etag;
    }

    /** Percent-encodes a URL path; {@code keepSlash} keeps '/' as the separator (file paths). */
    static String encodePath(String text, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/');
            if (plain) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }
}
