package dev.billionllm.core.io.safetensors;

/** Element types of the safetensors format, with their size in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element. */
    public int bytes() {
        return bytes;
    }

    /** The dtype named {@code name} in a header, or null. */
    public static DType fromHeader(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }
}
