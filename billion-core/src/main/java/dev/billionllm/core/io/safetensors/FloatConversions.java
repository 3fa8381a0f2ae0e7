package dev.billionllm.core.io.safetensors;

/**
 * Bit-exact conversions between fp32 and the 16-bit float formats. Written by hand because
 * {@code Float.float16ToFloat} needs JDK 20 and we compile for 17.
 */
final class FloatConversions {

    /** All 65536 F16 values as fp32: a table lookup is the fastest exact conversion. */
    private static final float[] HALF_TO_FLOAT = new float[1 << 16];

    static {
        for (int h = 0; h < HALF_TO_FLOAT.length; h++) {
            HALF_TO_FLOAT[h] = computeHalfToFloat(h);
        }
    }

    private FloatConversions() {}

    /** IEEE 754 binary16 bits (low 16 bits of {@code h}) to fp32; exact, NaN payload kept. */
    static float halfToFloat(short h) {
        return HALF_TO_FLOAT[h & 0xffff];
    }

    private static float computeHalfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf or NaN
        }
        if (exp == 0) {
            // Zero or subnormal: mant * 2^-24, exact in fp32.
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** bfloat16 is the top half of an fp32, so widening is a shift. */
    static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** fp32 to bfloat16 bits, rounding to nearest even (as PyTorch does); NaN stays NaN. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40); // keep it a (quiet) NaN after truncation
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** fp32 to IEEE binary16 bits, rounding to nearest even; overflow gives infinity. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal: rounds to zero
            }
            // Subnormal result: the value in units of 2^-24 is (1.mant) shifted right.
            int m = mant | 0x800000;
            int shift = 14 - e;
            return (short) (sign | roundShift(m, shift));
        }
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        return (short) (sign | roundShift((e << 23) | mant, 13));
    }

    private static int roundShift(int value, int shift) {
        int result = value >>> shift;
        int rem = value & ((1 << shift) - 1);
        int mid = 1 << (shift - 1);
        if (rem > mid || (rem == mid && (result & 1) != 0)) {
            result++;
        }
        return result;
    }
}
