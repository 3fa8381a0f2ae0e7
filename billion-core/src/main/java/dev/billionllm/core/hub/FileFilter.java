package dev.billionllm.core.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Chooses which files of a repo to download, with glob patterns matched like huggingface_hub's
 * {@code allow_patterns} ({@code fnmatch}: {@code *} also crosses '/', {@code ?}, {@code [abc]};
 * a pattern ending in '/' means everything below that folder).
 *
 * <p>Pickled checkpoints ({@code *.bin}, {@code *.pt}, {@code *.pth}, {@code *.ckpt}) can run
 * code when loaded, so they are skipped unless a pattern that itself ends with one of those
 * extensions asks for them: {@code *.bin} or {@code pytorch_model.bin} take them, {@code *} does not.
 */
public final class FileFilter {

    /** What a model needs for inference with billion-llm: configs, tokenizer, chat template, safetensors. */
    public static final List<String> DEFAULT_PATTERNS = List.of(
            "config.json",
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "tokenizer.model",
            "chat_template.jinja",
            "model.safetensors.index.json",
            "*.safetensors");

    private static final List<String> PICKLED = List.of(".bin", ".pt", ".pth", ".ckpt");

    private final List<String> patterns;
    private final List<Pattern> regexes;

    private FileFilter(List<String> patterns) {
        if (patterns.isEmpty()) {
            throw new IllegalArgumentException("a file filter needs at least one pattern (\"*\" for everything)");
        }
        List<String> normalized = new ArrayList<>();
        for (String p : patterns) {
            if (p == null || p.isBlank()) {
                throw new IllegalArgumentException("empty file pattern in " + patterns);
            }
            normalized.add(p.endsWith("/") ? p + "*" : p);
        }
        this.patterns = List.copyOf(normalized);
        this.regexes = this.patterns.stream().map(FileFilter::globToRegex).toList();
    }

    /** The {@link #DEFAULT_PATTERNS}. */
    public static FileFilter defaults() {
        return new FileFilter(DEFAULT_PATTERNS);
    }

    /** Every file except pickled checkpoints. */
    public static FileFilter all() {
        return new FileFilter(List.of("*"));
    }

    /** Files matching any of the glob patterns. */
    public static FileFilter of(List<String> patterns) {
        return new FileFilter(patterns);
    }

    /**
     * The filter a command line asks for: every file ({@code --all}), the given globs
     * ({@code --include}), or {@link #defaults()} when neither is given.
     *
     * @param include globs; null or empty for none
     * @throws IllegalArgumentException if both {@code all} and globs are given
     */
    public static FileFilter select(boolean all, List<String> include) {
        boolean globs = include != null && !include.isEmpty();
        if (all && globs) {
            throw new IllegalArgumentException("use either --all or --include, not both");
        }
        return all ? all() : globs ? of(include) : defaults();
    }

    /** Files matching any of the glob patterns. */
    public static FileFilter of(String... patterns) {
        return new FileFilter(List.of(patterns));
    }

    public List<String> patterns() {
        return patterns;
    }

    /** Whether a repo file should be downloaded. */
    public boolean matches(String file) {
        boolean pickled = isPickled(file);
        for (int i = 0; i < patterns.size(); i++) {
            if (regexes.get(i).matcher(file).matches() && (!pickled || isPickled(patterns.get(i)))) {
                return true;
            }
        }
        return false;
    }

    /** Patterns without wildcards: exact file names. */
    List<String> literals() {
        return patterns.stream().filter(p -> !isGlob(p)).toList();
    }

    /** Patterns with wildcards. */
    List<String> globs() {
        return patterns.stream().filter(FileFilter::isGlob).toList();
    }

    static boolean isGlob(String pattern) {
        return pattern.indexOf('*') >= 0 || pattern.indexOf('?') >= 0 || pattern.indexOf('[') >= 0;
    }

    private static boolean isPickled(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return PICKLED.stream().anyMatch(lower::endsWith);
    }

    private static Pattern globToRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else if (c == '[' && glob.indexOf(']', i + 2) > 0) {
                int end = glob.indexOf(']', i + 2);
                String body = glob.substring(i + 1, end);
                boolean negate = body.startsWith("!");
                if (negate) {
                    body = body.substring(1);
                }
                re.append('[').append(negate ? "^" : "").append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                i = end;
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    @Override
    public String toString() {
        return patterns.toString();
    }
}
