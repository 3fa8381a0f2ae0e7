package dev.billionllm.core.hub;

import java.util.regex.Pattern;

/**
 * A validated Hub model repository id, {@code org/name} or a bare legacy {@code name}.
 *
 * <p>The rules follow the Hub's own: ASCII letters, digits, {@code -}, {@code _} and {@code .},
 * at most 96 characters, no {@code --} or {@code ..}, not starting or ending with {@code -} or
 * {@code .}. They also guarantee that the cache folder name cannot escape the cache root.
 *
 * @param value the id as the Hub spells it
 */
public record RepoId(String value) {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?");

    public RepoId {
        if (value == null || value.isEmpty()) {
            throw invalid(value, "it is empty");
        }
        if (value.length() > 96) {
            throw invalid(value, "it is longer than 96 characters");
        }
        if (value.contains("--") || value.contains("..")) {
            throw invalid(value, "it contains \"--\" or \"..\"");
        }
        String[] parts = value.split("/", -1);
        if (parts.length > 2) {
            throw invalid(value, "expected \"org/name\" with a single '/'");
        }
        for (String part : parts) {
            if (!PART.matcher(part).matches()) {
                throw invalid(value, "each part must be letters, digits, '-', '_' or '.',"
                        + " not starting or ending with '-' or '.'");
            }
        }
    }

    /** Parses and validates a repo id. */
    public static RepoId of(String value) {
        return new RepoId(value);
    }

    /** The cache folder name huggingface_hub uses: {@code models--org--name}. */
    public String cacheFolderName() {
        return "models--" + value.replace("/", "--");
    }

    @Override
    public String toString() {
        return value;
    }

    private static HubException invalid(String value, String why) {
        return new HubException(HubException.Reason.INVALID_NAME,
                "Invalid Hub repo id \"" + value + "\": " + why + " (example: TinyLlama/TinyLlama-1.1B-Chat-v1.0)");
    }
}
