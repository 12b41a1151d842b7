package pm.runtime.interp;

import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;
import pm.runtime.InvalidModuleException;

/** Compact codes for the value types of WebAssembly 2.0 (without SIMD). */
public final class ValueTypes {
    public static final byte I32 = 0;
    public static final byte I64 = 1;
    public static final byte F32 = 2;
    public static final byte F64 = 3;
    public static final byte FUNCREF = 4;
    public static final byte EXTERNREF = 5;

    /** The null reference, for both reference types; real references are non-negative. */
    public static final long NULL_REF = -1L;

    private ValueTypes() {}

    static byte of(ValType t) {
        switch (t.opcode()) {
            case ValType.ID.I32:
                return I32;
            case ValType.ID.I64:
                return I64;
            case ValType.ID.F32:
                return F32;
            case ValType.ID.F64:
                return F64;
            case ValType.ID.FuncRef:
                return FUNCREF;
            case ValType.ID.ExternRef:
                return EXTERNREF;
            case ValType.ID.RefNull:
            case ValType.ID.Ref:
                if (t.typeIdx() == ValType.TypeIdxCode.FUNC.code()) {
                    return FUNCREF;
                }
                if (t.typeIdx() == ValType.TypeIdxCode.EXTERN.code()) {
                    return EXTERNREF;
                }
                break;
            default:
                break;
        }
        throw new InvalidModuleException("unsupported value type " + t);
    }

    static byte[] of(List<ValType> types) {
        byte[] out = new byte[types.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = of(types.get(i));
        }
        return out;
    }

    public static boolean isRef(byte t) {
        return t == FUNCREF || t == EXTERNREF;
    }

    public static String name(byte t) {
        switch (t) {
            case I32:
                return "i32";
            case I64:
                return "i64";
            case F32:
                return "f32";
            case F64:
                return "f64";
            case FUNCREF:
                return "funcref";
            case EXTERNREF:
                return "externref";
            default:
                return "type#" + t;
        }
    }
}
