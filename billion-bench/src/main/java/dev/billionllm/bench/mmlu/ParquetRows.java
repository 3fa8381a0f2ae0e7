package dev.billionllm.bench.mmlu;

import dev.billionllm.core.BillionException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A small Parquet reader, enough for dataset files such as cais/mmlu's: top-level columns of
 * strings or integers and single-level lists of them (the 3-level {@code LIST} layout or the legacy
 * repeated leaf), in data pages v1 or v2, PLAIN or dictionary encoded, uncompressed, Snappy or gzip.
 * Anything else (nested structs, maps, DELTA encodings, ZSTD, ...) is refused with an error naming
 * the file, column and feature, never read wrongly.
 *
 * <p>Written here because the maintained Java reader (parquet-hadoop) drags in Hadoop's client jars,
 * which a benchmark module should not carry for two small files per subject.
 */
final class ParquetRows {

    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};
    // Parquet physical types.
    private static final int INT32 = 1;
    private static final int INT64 = 2;
    private static final int BYTE_ARRAY = 6;
    // Encodings.
    private static final int PLAIN = 0;
    private static final int PLAIN_DICTIONARY = 2;
    private static final int RLE = 3;
    private static final int RLE_DICTIONARY = 8;
    // Page types.
    private static final int DATA_PAGE = 0;
    private static final int DICTIONARY_PAGE = 2;
    private static final int DATA_PAGE_V2 = 3;

    private final Path file;
    private final ByteBuffer bytes;

    private ParquetRows(Path file, byte[] data) {
        this.file = file;
        this.bytes = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Every row of {@code file}, keyed by top-level column name, in schema order. */
    static List<Map<String, Object>> read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        try {
            return new ParquetRows(file, data).rows();
        } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new BillionException(file + ": malformed parquet file (" + e + ")", e);
        }
    }

    /** A leaf column: its top-level name and the levels its schema path implies. */
    private record Leaf(String name, int type, int maxDef, int maxRep, int repeatedDef) {}

    private List<Map<String, Object>> rows() {
        int n = bytes.capacity();
        if (n < 12 || !startsWith(0, MAGIC) || !startsWith(n - 4, MAGIC)) {
            throw new BillionException(file + " is not a parquet file (no PAR1 magic at both ends)");
        }
        int footerLength = bytes.getInt(n - 8);
        Map<Integer, Object> meta = new Thrift(bytes, n - 8 - footerLength).struct();
        List<Leaf> leaves = leaves(list(meta, 2));
        Map<String, List<Object>> columns = new LinkedHashMap<>();
        leaves.forEach(l -> columns.put(l.name(), new ArrayList<>()));
        for (Object rg : list(meta, 4)) {
            List<Object> chunks = list(struct(rg), 1);
            if (chunks.size() != leaves.size()) {
                throw new BillionException(file + ": a row group has " + chunks.size() + " column chunks for "
                        + leaves.size() + " leaf columns");
            }
            for (int c = 0; c < chunks.size(); c++) {
                readChunk(leaves.get(c), struct(struct(chunks.get(c)).get(3)), columns.get(leaves.get(c).name()));
            }
        }
        long numRows = num(meta, 3);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int r = 0; r < numRows; r++) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (Map.Entry<String, List<Object>> e : columns.entrySet()) {
                if (e.getValue().size() != numRows) {
                    throw new BillionException(file + ": column " + e.getKey() + " has " + e.getValue().size()
                            + " values for " + numRows + " rows");
                }
                row.put(e.getKey(), e.getValue().get(r));
            }
            out.add(row);
        }
        return out;
    }

    /** Walks the flattened schema tree (depth first) and keeps each leaf's levels. */
    private List<Leaf> leaves(List<Object> schema) {
        List<Leaf> out = new ArrayList<>();
        int[] index = {1}; // element 0 is the root
        Map<Integer, Object> root = struct(schema.get(0));
        for (int i = 0; i < num(root, 5); i++) {
            walk(schema, index, null, 0, 0, 0, out);
        }
        return out;
    }

    private void walk(List<Object> schema, int[] index, String top, int def, int rep, int repeatedDef,
            List<Leaf> out) {
        Map<Integer, Object> el = struct(schema.get(index[0]++));
        String name = new String((byte[]) el.get(4), StandardCharsets.UTF_8);
        String topName = top == null ? name : top;
        int repetition = el.containsKey(3) ? (int) num(el, 3) : 0;
        int d = def + (repetition != 0 ? 1 : 0);
        int r = rep + (repetition == 2 ? 1 : 0);
        int rd = repetition == 2 ? d : repeatedDef;
        if (r > 1) {
            throw new BillionException(file + ": column " + topName + " is nested more than one list deep; only flat "
                    + "columns and lists are read");
        }
        int children = el.containsKey(5) ? (int) num(el, 5) : 0;
        if (children == 0) {
            out.add(new Leaf(topName, (int) num(el, 1), d, r, rd));
            return;
        }
        if (children > 1) {
            throw new BillionException(file + ": column " + topName + " is a struct; only flat columns and lists are read");
        }
        for (int i = 0; i < children; i++) {
            walk(schema, index, topName, d, r, rd, out);
        }
    }

    /** Reads every page of one column chunk and appends one value (or list) per row to {@code out}. */
    private void readChunk(Leaf leaf, Map<Integer, Object> meta, List<Object> out) {
        int codec = (int) num(meta, 4);
        long numValues = num(meta, 5);
        long offset = num(meta, 9);
        if (meta.containsKey(11) && num(meta, 11) > 0 && num(meta, 11) < offset) {
            offset = num(meta, 11);
        }
        List<Object> dictionary = null;
        List<Object> currentList = null;
        long seen = 0;
        while (seen < numValues) {
            Thrift t = new Thrift(bytes, (int) offset);
            Map<Integer, Object> header = t.struct();
            int pageType = (int) num(header, 1);
            int uncompressed = (int) num(header, 2);
            int compressed = (int) num(header, 3);
            int start = t.position();
            offset = start + (long) compressed;
            if (pageType == DICTIONARY_PAGE) {
                Map<Integer, Object> dh = struct(header.get(7));
                int encoding = (int) num(dh, 2);
                if (encoding != PLAIN && encoding != PLAIN_DICTIONARY) {
                    throw unsupported(leaf, "dictionary encoding " + encoding);
                }
                ByteBuffer page = decompress(codec, slice(start, compressed), uncompressed, leaf);
                dictionary = plain(page, leaf, (int) num(dh, 1));
                continue;
            }
            int count;
            int encoding;
            int[] repLevels;
            int[] defLevels;
            ByteBuffer values;
            if (pageType == DATA_PAGE) {
                Map<Integer, Object> dh = struct(header.get(5));
                count = (int) num(dh, 1);
                encoding = (int) num(dh, 2);
                ByteBuffer page = decompress(codec, slice(start, compressed), uncompressed, leaf);
                repLevels = leaf.maxRep() > 0 ? levelsV1(page, leaf.maxRep(), count, leaf) : new int[count];
                defLevels = leaf.maxDef() > 0 ? levelsV1(page, leaf.maxDef(), count, leaf) : filled(count, 0);
                values = page;
            } else if (pageType == DATA_PAGE_V2) {
                Map<Integer, Object> dh = struct(header.get(8));
                count = (int) num(dh, 1);
                encoding = (int) num(dh, 4);
                int defBytes = (int) num(dh, 5);
                int repBytes = (int) num(dh, 6);
                boolean isCompressed = !dh.containsKey(7) || (Boolean) dh.get(7);
                ByteBuffer rawLevels = slice(start, repBytes + defBytes);
                repLevels = leaf.maxRep() > 0 ? hybrid(rawLevels, bitWidth(leaf.maxRep()), count) : new int[count];
                rawLevels.position(repBytes);
                defLevels = leaf.maxDef() > 0 ? hybrid(rawLevels, bitWidth(leaf.maxDef()), count) : filled(count, 0);
                ByteBuffer body = slice(start + repBytes + defBytes, compressed - repBytes - defBytes);
                values = isCompressed ? decompress(codec, body, uncompressed - repBytes - defBytes, leaf) : body;
            } else {
                continue; // index pages carry no values
            }
            int present = 0;
            for (int d : defLevels) {
                if (d == leaf.maxDef()) {
                    present++;
                }
            }
            List<Object> decoded;
            if (encoding == PLAIN) {
                decoded = plain(values, leaf, present);
            } else if (encoding == RLE_DICTIONARY || encoding == PLAIN_DICTIONARY) {
                if (dictionary == null) {
                    throw new BillionException(file + ": column " + leaf.name() + " has dictionary indices but no "
                            + "dictionary page");
                }
                int width = values.get() & 0xff;
                int[] idx = hybrid(values, width, present);
                decoded = new ArrayList<>(present);
                for (int i : idx) {
                    decoded.add(dictionary.get(i));
                }
            } else {
                throw unsupported(leaf, "encoding " + encoding);
            }
            int next = 0;
            for (int i = 0; i < count; i++) {
                Object v = defLevels[i] == leaf.maxDef() ? decoded.get(next++) : null;
                if (leaf.maxRep() == 0) {
                    out.add(v);
                    continue;
                }
                if (repLevels[i] == 0) {
                    // A new row: a null list, an empty list, or a list starting with this element.
                    currentList = defLevels[i] >= leaf.repeatedDef() - 1 ? new ArrayList<>() : null;
                    out.add(currentList);
                }
                if (defLevels[i] >= leaf.repeatedDef()) {
                    currentList.add(v);
                }
            }
            seen += count;
        }
    }

    private BillionException unsupported(Leaf leaf, String what) {
        return new BillionException(file + ": column " + leaf.name() + " uses " + what + ", which this reader does "
                + "not support (PLAIN and dictionary encodings with Snappy, gzip or no compression are read); "
                + "rewrite the file with pyarrow defaults or convert it to JSONL");
    }

    private List<Object> plain(ByteBuffer page, Leaf leaf, int n) {
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            switch (leaf.type()) {
                case BYTE_ARRAY -> {
                    byte[] b = new byte[page.getInt()];
                    page.get(b);
                    out.add(new String(b, StandardCharsets.UTF_8));
                }
                case INT64 -> out.add(page.getLong());
                case INT32 -> out.add((long) page.getInt());
                default -> throw unsupported(leaf, "physical type " + leaf.type());
            }
        }
        return out;
    }

    /** v1 levels: a 4-byte length, then the RLE/bit-packed hybrid. Advances {@code page} past them. */
    private int[] levelsV1(ByteBuffer page, int maxLevel, int count, Leaf leaf) {
        int length = page.getInt();
        ByteBuffer levels = page.slice().order(ByteOrder.LITTLE_ENDIAN);
        levels.limit(length);
        page.position(page.position() + length);
        return hybrid(levels, bitWidth(maxLevel), count);
    }

    /** Parquet's RLE / bit-packing hybrid: {@code count} values of {@code width} bits. */
    static int[] hybrid(ByteBuffer in, int width, int count) {
        int[] out = new int[count];
        int n = 0;
        int byteWidth = (width + 7) / 8;
        while (n < count) {
            long header = uvarint(in);
            if ((header & 1) == 0) {
                int run = (int) (header >>> 1);
                int value = 0;
                for (int b = 0; b < byteWidth; b++) {
                    value |= (in.get() & 0xff) << (8 * b);
                }
                for (int i = 0; i < run && n < count; i++) {
                    out[n++] = value;
                }
            } else {
                int values = (int) (header >>> 1) * 8;
                long buffer = 0;
                int bits = 0;
                int bytesLeft = values * width / 8;
                for (int i = 0; i < values; i++) {
                    while (bits < width) {
                        buffer |= (long) (in.get() & 0xff) << bits;
                        bits += 8;
                        bytesLeft--;
                    }
                    int v = (int) (buffer & ((1L << width) - 1));
                    buffer >>>= width;
                    bits -= width;
                    if (n < count) {
                        out[n++] = v;
                    }
                }
                // Skip bytes of the group not needed for the values read (only with width 0).
                in.position(in.position() + Math.max(0, bytesLeft));
            }
        }
        return out;
    }

    private static int bitWidth(int maxLevel) {
        return 32 - Integer.numberOfLeadingZeros(maxLevel);
    }

    private ByteBuffer decompress(int codec, ByteBuffer in, int uncompressedSize, Leaf leaf) {
        byte[] out;
        switch (codec) {
            case 0 -> {
                return in;
            }
            case 1 -> out = Snappy.decompress(in, uncompressedSize);
            case 2 -> {
                byte[] src = new byte[in.remaining()];
                in.get(src);
                try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(src))) {
                    out = gz.readAllBytes();
                } catch (IOException e) {
                    throw new BillionException(file + ": column " + leaf.name() + ": bad gzip page", e);
                }
            }
            default -> throw unsupported(leaf, "compression codec " + codec);
        }
        if (out.length != uncompressedSize) {
            throw new BillionException(file + ": column " + leaf.name() + ": page decompressed to " + out.length
                    + " bytes, header says " + uncompressedSize);
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer slice(int start, int length) {
        ByteBuffer b = bytes.duplicate();
        b.position(start).limit(start + length);
        return b.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private boolean startsWith(int at, byte[] magic) {
        for (int i = 0; i < magic.length; i++) {
            if (bytes.get(at + i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    private static long uvarint(ByteBuffer in) {
        long result = 0;
        int shift = 0;
        while (true) {
            int b = in.get() & 0xff;
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
            shift += 7;
            if (shift > 63) {
                throw new IllegalArgumentException("varint too long");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Integer, Object> struct(Object o) {
        if (!(o instanceof Map)) {
            throw new BillionException(file + ": malformed parquet metadata (expected a struct, found " + o + ")");
        }
        return (Map<Integer, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Map<Integer, Object> s, int field) {
        Object o = s.get(field);
        if (!(o instanceof List)) {
            throw new BillionException(file + ": malformed parquet metadata (field " + field + " is not a list)");
        }
        return (List<Object>) o;
    }

    private long num(Map<Integer, Object> s, int field) {
        Object o = s.get(field);
        if (!(o instanceof Long)) {
            throw new BillionException(file + ": malformed parquet metadata (field " + field + " missing or not an "
                    + "integer)");
        }
        return (Long) o;
    }

    /**
     * Thrift's compact protocol, decoded generically: structs become maps from field id to value,
     * lists and sets become lists, integers longs, binaries byte arrays.
     */
    private static final class Thrift {
        private final ByteBuffer in;

        Thrift(ByteBuffer source, int position) {
            this.in = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            in.position(position);
        }

        int position() {
            return in.position();
        }

        Map<Integer, Object> struct() {
            Map<Integer, Object> out = new HashMap<>();
            int id = 0;
            while (true) {
                int header = in.get() & 0xff;
                if (header == 0) {
                    return out;
                }
                int delta = header >>> 4;
                int type = header & 0x0f;
                id = delta == 0 ? (int) zigzag(uvarint(in)) : id + delta;
                out.put(id, value(type, true));
            }
        }

        private Object value(int type, boolean inField) {
            return switch (type) {
                case 1 -> inField ? Boolean.TRUE : in.get() == 1;
                case 2 -> inField ? Boolean.FALSE : in.get() == 1;
                case 3 -> (long) in.get();
                case 4, 5, 6 -> zigzag(uvarint(in));
                case 7 -> in.getDouble();
                case 8 -> {
                    byte[] b = new byte[(int) uvarint(in)];
                    in.get(b);
                    yield b;
                }
                case 9, 10 -> {
                    int h = in.get() & 0xff;
                    int size = h >>> 4 == 15 ? (int) uvarint(in) : h >>> 4;
                    List<Object> list = new ArrayList<>(size);
                    for (int i = 0; i < size; i++) {
                        list.add(value(h & 0x0f, false));
                    }
                    yield list;
                }
                case 11 -> {
                    int size = (int) uvarint(in);
                    Map<Object, Object> map = new HashMap<>();
                    if (size > 0) {
                        int kv = in.get() & 0xff;
                        for (int i = 0; i < size; i++) {
                            map.put(value(kv >>> 4, false), value(kv & 0x0f, false));
                        }
                    }
                    yield map;
                }
                case 12 -> struct();
                default -> throw new IllegalArgumentException("unknown thrift type " + type);
            };
        }

        private static long zigzag(long n) {
            return (n >>> 1) ^ -(n & 1);
        }
    }

    /** Raw Snappy (no framing), as Parquet pages use it. */
    static final class Snappy {
        private Snappy() {}

        static byte[] decompress(ByteBuffer in, int expected) {
            int length = (int) uvarint(in);
            if (length != expected) {
                throw new IllegalArgumentException("snappy length " + length + " != page size " + expected);
            }
            byte[] out = new byte[length];
            int o = 0;
            while (in.hasRemaining()) {
                int tag = in.get() & 0xff;
                int kind = tag & 3;
                if (kind == 0) {
                    int len = tag >>> 2;
                    if (len >= 60) {
                        int extra = len - 59;
                        len = 0;
                        for (int i = 0; i < extra; i++) {
                            len |= (in.get() & 0xff) << (8 * i);
                        }
                    }
                    len += 1;
                    in.get(out, o, len);
                    o += len;
                    continue;
                }
                int len;
                int offset;
                if (kind == 1) {
                    len = ((tag >>> 2) & 7) + 4;
                    offset = ((tag >>> 5) << 8) | (in.get() & 0xff);
                } else if (kind == 2) {
                    len = (tag >>> 2) + 1;
                    offset = (in.get() & 0xff) | (in.get() & 0xff) << 8;
                } else {
                    len = (tag >>> 2) + 1;
                    offset = in.getInt();
                }
                if (offset <= 0 || offset > o) {
                    throw new IllegalArgumentException("snappy copy offset " + offset + " at output " + o);
                }
                // Copies may overlap their own output (runs), so go byte by byte.
                for (int i = 0; i < len; i++) {
                    out[o] = out[o - offset];
                    o++;
                }
            }
            if (o != length) {
                throw new IllegalArgumentException("snappy produced " + o + " bytes, expected " + length);
            }
            return out;
        }
    }
}
