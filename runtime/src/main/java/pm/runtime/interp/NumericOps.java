package pm.runtime.interp;

import com.dylibso.chicory.wasm.types.OpCode;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Signature of the plain numeric and memory instructions, derived from their names: one table
 * instead of 150 cases.
 */
final class NumericOps {
    private static final Map<String, Integer> BY_NAME =
            IntStream.range(0, Op.COUNT).boxed().collect(Collectors.toMap(Op::name, Function.identity()));

    private static final Set<String> BINARY_SUFFIXES = Set.of(
            "ADD",
            "SUB",
            "MUL",
            "DIV",
            "DIV_S",
            "DIV_U",
            "REM_S",
            "REM_U",
            "AND",
            "OR",
            "XOR",
            "SHL",
            "SHR_S",
            "SHR_U",
            "ROTL",
            "ROTR",
            "MIN",
            "MAX",
            "COPYSIGN",
            "EQ",
            "NE",
            "LT",
            "GT",
            "LE",
            "GE",
            "LT_S",
            "LT_U",
            "GT_S",
            "GT_U",
            "LE_S",
            "LE_U",
            "GE_S",
            "GE_U");

    private static final Set<String> COMPARISONS = Set.of(
            "EQZ", "EQ", "NE", "LT", "GT", "LE", "GE", "LT_S", "LT_U", "GT_S", "GT_U", "LE_S", "LE_U", "GE_S", "GE_U");

    private NumericOps() {}

    /** The internal op for a numeric instruction, or -1 if it is not one this runtime executes. */
    static int opFor(OpCode opcode) {
        String name = opcode.name();
        if (!(name.startsWith("I32_")
                || name.startsWith("I64_")
                || name.startsWith("F32_")
                || name.startsWith("F64_"))) {
            return -1;
        }
        Integer op = BY_NAME.get(name);
        return op == null ? -1 : op;
    }

    static boolean isLoad(OpCode opcode) {
        return opFor(opcode) >= 0 && opcode.name().startsWith("LOAD", 4);
    }

    static boolean isStore(OpCode opcode) {
        return opFor(opcode) >= 0 && opcode.name().startsWith("STORE", 4);
    }

    static int arity(String name) {
        return BINARY_SUFFIXES.contains(name.substring(4)) ? 2 : 1;
    }

    static byte resultType(String name) {
        if (COMPARISONS.contains(name.substring(4))) {
            return ValueTypes.I32;
        }
        switch (name.substring(0, 3)) {
            case "I32":
                return ValueTypes.I32;
            case "I64":
                return ValueTypes.I64;
            case "F32":
                return ValueTypes.F32;
            default:
                return ValueTypes.F64;
        }
    }
}
