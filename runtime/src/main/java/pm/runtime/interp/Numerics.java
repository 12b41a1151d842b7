package pm.runtime.interp;

import pm.runtime.TrapException;

/**
 * Numeric operations too long to sit in the dispatch loop: float rounding and min/max with
 * WebAssembly's NaN rules, and the trapping and saturating conversions.
 */
final class Numerics {
    private static final int F32_QUIET = 0x0040_0000;
    private static final long F64_QUIET = 0x0008_0000_0000_0000L;

    private Numerics() {}

    static float f32(long slot) {
        return Float.intBitsToFloat((int) slot);
    }

    static long f32(float v) {
        return Float.floatToRawIntBits(v);
    }

    static double f64(long slot) {
        return Double.longBitsToDouble(slot);
    }

    static long f64(double v) {
        return Double.doubleToRawLongBits(v);
    }

    /** A NaN result must be an arithmetic NaN: quiet bit set, payload otherwise kept. */
    private static long quiet32(long slot) {
        return (int) slot | F32_QUIET;
    }

    private static long quiet64(long slot) {
        return slot | F64_QUIET;
    }

    static long f32Unary(int op, long a) {
        float x = f32(a);
        if (Float.isNaN(x)) {
            return quiet32(a);
        }
        switch (op) {
            case Op.F32_CEIL:
                return f32((float) Math.ceil(x));
            case Op.F32_FLOOR:
                return f32((float) Math.floor(x));
            case Op.F32_TRUNC:
                return f32((float) (x < 0 ? Math.ceil(x) : Math.floor(x)));
            case Op.F32_NEAREST:
                return f32((float) Math.rint(x));
            default:
                return f32((float) Math.sqrt(x));
        }
    }

    static long f64Unary(int op, long a) {
        double x = f64(a);
        if (Double.isNaN(x)) {
            return quiet64(a);
        }
        switch (op) {
            case Op.F64_CEIL:
                return f64(Math.ceil(x));
            case Op.F64_FLOOR:
                return f64(Math.floor(x));
            case Op.F64_TRUNC:
                return f64(x < 0 ? Math.ceil(x) : Math.floor(x));
            case Op.F64_NEAREST:
                return f64(Math.rint(x));
            default:
                return f64(Math.sqrt(x));
        }
    }

    static long f32Min(long a, long b) {
        float x = f32(a);
        float y = f32(b);
        if (Float.isNaN(x)) {
            return quiet32(a);
        }
        if (Float.isNaN(y)) {
            return quiet32(b);
        }
        return f32(Math.min(x, y));
    }

    static long f32Max(long a, long b) {
        float x = f32(a);
        float y = f32(b);
        if (Float.isNaN(x)) {
            return quiet32(a);
        }
        if (Float.isNaN(y)) {
            return quiet32(b);
        }
        return f32(Math.max(x, y));
    }

    static long f64Min(long a, long b) {
        double x = f64(a);
        double y = f64(b);
        if (Double.isNaN(x)) {
            return quiet64(a);
        }
        if (Double.isNaN(y)) {
            return quiet64(b);
        }
        return f64(Math.min(x, y));
    }

    static long f64Max(long a, long b) {
        double x = f64(a);
        double y = f64(b);
        if (Double.isNaN(x)) {
            return quiet64(a);
        }
        if (Double.isNaN(y)) {
            return quiet64(b);
        }
        return f64(Math.max(x, y));
    }

    /** The trapping and saturating float-to-int conversions and the int-to-float conversions. */
    static long convert(int op, long a) {
        switch (op) {
            case Op.I32_TRUNC_F32_S:
                return truncI32S(checkNaN(f32(a)));
            case Op.I32_TRUNC_F32_U:
                return truncI32U(checkNaN(f32(a)));
            case Op.I32_TRUNC_F64_S:
                return truncI32S(checkNaN(f64(a)));
            case Op.I32_TRUNC_F64_U:
                return truncI32U(checkNaN(f64(a)));
            case Op.I64_TRUNC_F32_S:
                return truncI64S(checkNaN(f32(a)));
            case Op.I64_TRUNC_F32_U:
                return truncI64U(checkNaN(f32(a)));
            case Op.I64_TRUNC_F64_S:
                return truncI64S(checkNaN(f64(a)));
            case Op.I64_TRUNC_F64_U:
                return truncI64U(checkNaN(f64(a)));
            case Op.I32_TRUNC_SAT_F32_S:
                return (int) f32(a);
            case Op.I32_TRUNC_SAT_F32_U:
                return satI32U(f32(a));
            case Op.I32_TRUNC_SAT_F64_S:
                return (int) f64(a);
            case Op.I32_TRUNC_SAT_F64_U:
                return satI32U(f64(a));
            case Op.I64_TRUNC_SAT_F32_S:
                return (long) f32(a);
            case Op.I64_TRUNC_SAT_F32_U:
                return satI64U(f32(a));
            case Op.I64_TRUNC_SAT_F64_S:
                return (long) f64(a);
            case Op.I64_TRUNC_SAT_F64_U:
                return satI64U(f64(a));
            case Op.F32_CONVERT_I32_S:
                return f32((float) (int) a);
            case Op.F32_CONVERT_I32_U:
                return f32((float) (a & 0xFFFF_FFFFL));
            case Op.F32_CONVERT_I64_S:
                return f32((float) a);
            case Op.F32_CONVERT_I64_U:
                return f32(u64ToFloat(a));
            case Op.F64_CONVERT_I32_S:
                return f64((double) (int) a);
            case Op.F64_CONVERT_I32_U:
                return f64((double) (a & 0xFFFF_FFFFL));
            case Op.F64_CONVERT_I64_S:
                return f64((double) a);
            case Op.F64_CONVERT_I64_U:
                return f64(u64ToDouble(a));
            case Op.F32_DEMOTE_F64:
                return f32((float) f64(a));
            case Op.F64_PROMOTE_F32:
                return f64((double) f32(a));
            default:
                throw new IllegalStateException("not a conversion: " + Op.name(op));
        }
    }

    private static double checkNaN(double x) {
        if (Double.isNaN(x)) {
            throw new TrapException(TrapException.Kind.INVALID_CONVERSION);
        }
        return x;
    }

    private static TrapException overflow() {
        return new TrapException(TrapException.Kind.INTEGER_OVERFLOW);
    }

    private static long truncI32S(double x) {
        if (!(x > -2147483649.0 && x < 2147483648.0)) {
            throw overflow();
        }
        return (int) x;
    }

    private static long truncI32U(double x) {
        if (!(x > -1.0 && x < 4294967296.0)) {
            throw overflow();
        }
        return (int) (long) x;
    }

    private static long truncI64S(double x) {
        if (!(x >= -0x1p63 && x < 0x1p63)) {
            throw overflow();
        }
        return (long) x;
    }

    private static long truncI64U(double x) {
        if (!(x > -1.0 && x < 0x1p64)) {
            throw overflow();
        }
        return toU64(x);
    }

    private static long toU64(double x) {
        if (x < 0x1p63) {
            return (long) x;
        }
        return (long) (x - 0x1p63) + Long.MIN_VALUE;
    }

    private static long satI32U(double x) {
        if (!(x > 0)) {
            return 0;
        }
        if (x >= 4294967295.0) {
            return -1;
        }
        return (int) (long) x;
    }

    private static long satI64U(double x) {
        if (!(x > 0)) {
            return 0;
        }
        if (x >= 0x1p64) {
            return -1L;
        }
        return toU64(x);
    }

    private static float u64ToFloat(long v) {
        if (v >= 0) {
            return (float) v;
        }
        // Halve with the lost bit kept sticky so the final rounding is still correct.
        return (float) ((v >>> 1) | (v & 1)) * 2f;
    }

    private static double u64ToDouble(long v) {
        if (v >= 0) {
            return (double) v;
        }
        return (double) ((v >>> 1) | (v & 1)) * 2.0;
    }
}
