package dev.billionllm.speculative;

import dev.billionllm.core.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Whether a draft's token ids mean what the target's mean: the special tokens (bos, eos, pad) and
 * every id both vocabularies have must be the same token. One vocabulary may be longer than the
 * other (added or padded tokens): ids past the shorter one are then never proposed.
 *
 * <pre>{@code
 * TokenizerCompatibility c = TokenizerCompatibility.compare(targetTokenizer, draftTokenizer);
 * if (!c.compatible()) throw new IllegalArgumentException(String.join("; ", c.differences()));
 * }</pre>
 *
 * @param differences what differs, in words (empty when compatible)
 * @param sharedVocabSize ids both tokenizers have ({@code [0, sharedVocabSize)})
 */
public record TokenizerCompatibility(List<String> differences, int sharedVocabSize) {

    /** How many differing ids a report lists before it says "and N more". */
    private static final int SHOWN = 3;

    public TokenizerCompatibility {
        differences = List.copyOf(differences);
    }

    public boolean compatible() {
        return differences.isEmpty();
    }

    /** Compares every id of both vocabularies and their special tokens. */
    public static TokenizerCompatibility compare(Tokenizer target, Tokenizer draft) {
        Objects.requireNonNull(target, "target tokenizer");
        Objects.requireNonNull(draft, "draft tokenizer");
        List<String> out = new ArrayList<>();
        special(out, "bos", target.bosToken(), draft.bosToken(), target, draft);
        special(out, "eos", target.eosToken(), draft.eosToken(), target, draft);
        special(out, "pad", target.padToken(), draft.padToken(), target, draft);
        int shared = Math.min(target.vocabSize(), draft.vocabSize());
        int differing = 0;
        List<String> shown = new ArrayList<>();
        for (int id = 0; id < shared; id++) {
            String a = target.idToToken(id);
            String b = draft.idToToken(id);
            if (!Objects.equals(a, b)) {
                if (differing++ < SHOWN) {
                    shown.add("id " + id + " is " + quote(a) + " in the target and " + quote(b) + " in the draft");
                }
            }
        }
        if (differing > 0) {
            out.add(differing + " of the " + shared + " shared ids differ (" + String.join(", ", shown)
                    + (differing > SHOWN ? ", ..." : "") + "); vocabulary sizes " + target.vocabSize() + " (target) and "
                    + draft.vocabSize() + " (draft)");
        }
        return new TokenizerCompatibility(out, shared);
    }

    private static void special(List<String> out, String name, String a, String b, Tokenizer target, Tokenizer draft) {
        if (!Objects.equals(a, b)) {
            out.add(name + " token " + quote(a) + " (target) vs " + quote(b) + " (draft)");
        } else if (a != null && target.tokenToId(a) != draft.tokenToId(b)) {
            out.add(name + " token " + quote(a) + " has id " + target.tokenToId(a) + " in the target and "
                    + draft.tokenToId(b) + " in the draft");
        }
    }

    private static String quote(String s) {
        return s == null ? "none" : "'" + s + "'";
    }
}
