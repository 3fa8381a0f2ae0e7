package dev.billionllm.bench.mmlu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decoders of the built-in parquet reader, on hand-made inputs from the format specifications. */
class ParquetRowsTest {

    private static ByteBuffer bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return ByteBuffer.wrap(out);
    }

    @Test
    void snappyLiteralsAndOverlappingCopies() {
        // length 14; literal "ab"; copy-1 len 6 off 2 -> "ababab"; copy-2 len 6 off 8 -> "ababab".
        ByteBuffer in = bytes(14, 0x04, 'a', 'b', 0x09, 0x02, (5 << 2) | 2, 8, 0);
        byte[] out = ParquetRows.Snappy.decompress(in, 14);
        assertThat(new String(out, StandardCharsets.US_ASCII)).isEqualTo("abababababab" + "ab");
        assertThatThrownBy(() -> ParquetRows.Snappy.decompress(bytes(4, 0x09, 0x05), 4))
                .hasMessageContaining("offset");
    }

    @Test
    void rleBitPackedHybridAsInTheSpec() {
        // Bit-packed group of 8 values 0..7 at width 3 (the spec's example bytes), then a run of five 4s.
        int[] v = ParquetRows.hybrid(bytes(0x03, 0x88, 0xC6, 0xFA, 0x0A, 0x04), 3, 13);
        assertThat(v).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 4, 4, 4, 4, 4);
    }

    @Test
    void readsTheSampleRowsWithTheirTypes() {
        List<Map<String, Object>> rows = ParquetRows.read(MmluTestData.resource(
                "mmlu-sample-parquet/arrow-rs-v1-snappy-dict/all/test-00000-of-00001.parquet"));
        assertThat(rows).hasSize(9);
        assertThat(rows.get(0)).containsEntry("question", "What is the largest planet in the Solar System?")
                .containsEntry("subject", "astronomy").containsEntry("answer", 1L)
                .containsEntry("choices", List.of("Saturn", "Jupiter", "Uranus", "Earth"));
        assertThat(rows.get(0).keySet()).containsExactly("question", "subject", "choices", "answer");
    }
}
