package dev.billionllm.core.tokenize;

import java.util.Arrays;

/**
 * Streams decoded text that is always complete UTF-8, for any {@link Tokenizer}.
 *
 * <p>One token can carry part of a character (a byte-fallback token {@code <0xC3>}, or a byte-level
 * BPE token holding half of an emoji), and decoding a lone token can differ from decoding it in
 * context (SentencePiece's leading-space strip). So, like text-generation-inference's {@code
 * decode_token}, this decodes a short window of ids twice: the already-emitted part ({@code
 * prefix..read}) and the whole window ({@code prefix..end}); the difference is new text, emitted only
 * when it does not end in U+FFFD (an incomplete character). After each emission the window moves
 * forward, so each token is decoded a bounded number of times: O(n) over a stream.
 *
 * <pre>{@code
 * IncrementalDecoder d = tokenizer.newIncrementalDecoder(true);
 * for (int id : generated) System.out.print(d.add(id));
 * System.out.print(d.flush());
 * }</pre>
 *
 * <p>The deltas concatenate to {@code decode(allIds)} for any stream whose byte-fallback runs are
 * valid UTF-8 (everything a tokenizer produces from real text, and what models generate in
 * practice). One exception, inherent to streaming: the Rust {@code ByteFallback} decoder turns a
 * whole run of {@code <0xNN>} tokens into U+FFFDs if any byte of the run is invalid, so characters
 * already emitted from the start of such a run are not taken back; {@link #flush()} emits an
 * incomplete tail as decode() shows it (U+FFFD).
 *
 * <p>Not thread-safe: one instance per stream.
 */
final class StreamingDecoder implements IncrementalDecoder {

    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    // ids[0..size) are the window; ids before it were dropped once emitted and out of context range.
    private int[] ids = new int[16];
    private int size;
    private int prefixOffset;
    private int readOffset;

    public StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    @Override
    public String add(int id) {
        if (size == ids.length) {
            compact();
        }
        ids[size++] = id;
        String prefixText = decode(prefixOffset, readOffset);
        String newText = decode(prefixOffset, size);
        if (newText.length() > prefixText.length() && newText.charAt(newText.length() - 1) != REPLACEMENT) {
            prefixOffset = readOffset;
            readOffset = size;
            return newText.substring(prefixText.length());
        }
        return "";
    }

    @Override
    public String flush() {
        String prefixText = decode(prefixOffset, readOffset);
        String newText = decode(prefixOffset, size);
        prefixOffset = readOffset = size;
        return newText.length() > prefixText.length() ? newText.substring(prefixText.length()) : "";
    }

    private String decode(int from, int to) {
        return from == to ? "" : tokenizer.decode(Arrays.copyOfRange(ids, from, to), skipSpecialTokens);
    }

    /** Drops ids before the window; grows the buffer only if the window itself is long. */
    private void compact() {
        int keep = size - prefixOffset;
        int[] target = keep * 2 > ids.length ? new int[ids.length * 2] : ids;
        System.arraycopy(ids, prefixOffset, target, 0, keep);
        ids = target;
        readOffset -= prefixOffset;
        size = keep;
        prefixOffset = 0;
    }
}
