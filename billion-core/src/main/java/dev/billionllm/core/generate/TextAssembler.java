package dev.billionllm.core.generate;

import dev.billionllm.core.tokenize.IncrementalDecoder;
import java.util.List;

/**
 * Turns one row's generated tokens into text deltas and watches for stop strings. Text that could
 * be the start of a stop string is held back until the next tokens show whether it is one, so a
 * stop string split across tokens is never emitted and the deltas always concatenate to the
 * result text.
 */
final class TextAssembler {
    private final IncrementalDecoder decoder; // null: no tokenizer, no text
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    TextAssembler(IncrementalDecoder decoder, List<String> stops) {
        if (decoder == null && !stops.isEmpty()) {
            throw new IllegalStateException("stop strings need a tokenizer to decode the generated text");
        }
        this.decoder = decoder;
        this.stops = stops;
    }

    /** Adds a token and returns the text that may be shown now. */
    String add(int id) {
        if (decoder == null || stopped) {
            return "";
        }
        text.append(decoder.add(id));
        return advance(false);
    }

    /** The generation ends for a reason other than a stop string: releases everything held back. */
    String finish() {
        if (decoder == null || stopped) {
            return "";
        }
        text.append(decoder.flush());
        return advance(true);
    }

    /** Whether a stop string has appeared. */
    boolean stopped() {
        return stopped;
    }

    /** All text emitted so far (the result text). */
    String emittedText() {
        return text.substring(0, emitted);
    }

    private String advance(boolean end) {
        // A stop string cannot start before `emitted`: such a start would have been a stop-string
        // prefix at the end of the text, and that text is held back, not emitted.
        int cut = -1;
        for (String s : stops) {
            int i = text.indexOf(s, emitted);
            if (i >= 0 && (cut < 0 || i < cut)) {
                cut = i;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String delta = text.substring(emitted, cut);
            text.setLength(cut);
            emitted = cut;
            return delta;
        }
        int upTo = end ? text.length() : text.length() - heldBack();
        String delta = text.substring(emitted, upTo);
        emitted = upTo;
        return delta;
    }

    /** Length of the longest unemitted suffix of the text that is a proper prefix of a stop string. */
    private int heldBack() {
        int available = text.length() - emitted;
        int best = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, available); k > best; k--) {
                if (endsWith(s, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    /** Whether the text ends with the first {@code k} characters of {@code s}. */
    private boolean endsWith(String s, int k) {
        int start = text.length() - k;
        for (int j = 0; j < k; j++) {
            if (text.charAt(start + j) != s.charAt(j)) {
                return false;
            }
        }
        return true;
    }
}
