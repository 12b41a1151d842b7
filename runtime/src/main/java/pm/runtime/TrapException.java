package pm.runtime;

/** The guest trapped; the invocation is aborted, the instance stays usable. */
public final class TrapException extends WasmException {
    private final Kind kind;

    public TrapException(Kind kind) {
        this(kind, kind.message);
    }

    public TrapException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The trap reasons of the specification, with its wording. */
    public enum Kind {
        UNREACHABLE("unreachable"),
        OUT_OF_BOUNDS_MEMORY("out of bounds memory access"),
        OUT_OF_BOUNDS_TABLE("out of bounds table access"),
        UNDEFINED_ELEMENT("undefined element"),
        UNINITIALIZED_ELEMENT("uninitialized element"),
        INDIRECT_CALL_TYPE_MISMATCH("indirect call type mismatch"),
        INTEGER_DIVIDE_BY_ZERO("integer divide by zero"),
        INTEGER_OVERFLOW("integer overflow"),
        INVALID_CONVERSION("invalid conversion to integer"),
        CALL_STACK_EXHAUSTED("call stack exhausted"),
        HOST("host function failed");

        final String message;

        Kind(String message) {
            this.message = message;
        }
    }
}
