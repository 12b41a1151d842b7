package pm.runtime.interp;

import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which pages each store of a function marks dirty in the marking variant of compiled code: fewer
 * marks than two per store, none missed.
 *
 * <p>Stores of one straight-line run of code (no label, branch, call, bulk instruction, grow or
 * region boundary between them, so no safepoint either: a freeze, a resume and a take of the
 * dirty pages can only come before the first of them or after the last) whose addresses are the
 * same i32 value form a group; the value is known equal by numbering the operands: a local's
 * value until the local is set, constants, and integer instructions over equal operands. The
 * first store of a group (in program order, so before any of the others can have written) marks
 * the pages of the lowest and the highest byte that any store of the group writes, and the others
 * mark nothing: a group spans at most one page's size ({@link MemoryInstance#PAGE_SIZE}), so
 * those two pages are every page the group writes. {@code ptr->a = x; ptr->b = y; ptr->c = z}
 * then costs one mark instead of three. Stores in no group mark the pages of their own first and
 * last byte.
 *
 * <p>The first store's bound check shows that its own bytes are in the memory, not those of the
 * others: if a later store of the group traps, the first one may have marked a page that no store
 * wrote (more than written is never a lost write), and its highest byte may lie one page past the
 * memory's last, which the dirty bytes read as the last page alone ({@link MemoryInstance}).
 * Whatever the group, the marks are one dirty byte ({@link MemoryInstance#slot}).
 */
final class JitStoreMarks {
    /** Off only to measure what the groups save ({@code -Dpm.runtime.jitStoreGroups=false}): every store marks its own pages. */
    static final boolean GROUPS = !"false".equals(System.getProperty("pm.runtime.jitStoreGroups"));

    /** What the store at one instruction marks, relative to its effective address; null: nothing. */
    record Marks(int lo, int hi) {}

    private final Map<Integer, Marks> byInstruction = new HashMap<>();
    private final Set<Integer> covered = new java.util.HashSet<>();

    /** Stores that mark for their group, and those that mark nothing: for tests and the bench README. */
    int leaders;

    int coveredCount() {
        return covered.size();
    }

    private JitStoreMarks() {}

    /**
     * The marks of store instruction {@code index} (of width {@code width}): its own first and last
     * byte, its group's range, or null when an earlier store of its group marked for it.
     */
    Marks marks(int index, int width) {
        if (covered.contains(index)) {
            return null;
        }
        Marks m = byInstruction.get(index);
        return m != null ? m : new Marks(0, width - 1);
    }

    /** The marks of a store on its own: the pages of its first and last byte. */
    static Marks own(OpCode op) {
        return new Marks(0, width(op) - 1);
    }

    /** The plan for a function body; {@code boundaries}: instructions where a run of code ends (region starts and ends). */
    static JitStoreMarks plan(List<? extends Instruction> body, Set<Integer> boundaries) {
        JitStoreMarks plan = new JitStoreMarks();
        if (GROUPS) {
            new Planner(plan).run(body, boundaries);
        }
        return plan;
    }

    /** The number of bytes a store instruction writes. */
    static int width(OpCode op) {
        switch (op) {
            case I32_STORE8:
            case I64_STORE8:
                return 1;
            case I32_STORE16:
            case I64_STORE16:
                return 2;
            case I32_STORE:
            case F32_STORE:
            case I64_STORE32:
                return 4;
            case I64_STORE:
            case F64_STORE:
                return 8;
            default:
                throw new IllegalArgumentException(op.name());
        }
    }

    /** Value numbering over one run of straight-line code at a time. */
    private static final class Planner {
        private final JitStoreMarks plan;
        private final ArrayList<Integer> stack = new ArrayList<>();
        private final Map<Integer, Integer> locals = new HashMap<>();
        private final Map<List<Long>, Integer> pure = new HashMap<>();
        /** Address value -> stores through it in this run: {instruction, offset, width}. */
        private final Map<Integer, List<long[]>> groups = new LinkedHashMap<>();

        private int next;

        Planner(JitStoreMarks plan) {
            this.plan = plan;
        }

        private int fresh() {
            return next++;
        }

        private int pop() {
            return stack.isEmpty() ? fresh() : stack.remove(stack.size() - 1);
        }

        private void push(int value) {
            stack.add(value);
        }

        private int pureValue(long... key) {
            List<Long> k = new ArrayList<>(key.length);
            for (long v : key) {
                k.add(v);
            }
            return pure.computeIfAbsent(k, x -> fresh());
        }

        void run(List<? extends Instruction> body, Set<Integer> boundaries) {
            for (int i = 0; i < body.size(); i++) {
                if (boundaries.contains(i)) {
                    endRun();
                }
                if (!step(body.get(i), i)) {
                    endRun();
                }
            }
            endRun();
        }

        /** Simulates one instruction; false if it ends the run of straight-line code (or is not understood). */
        private boolean step(Instruction ins, int index) {
            OpCode op = ins.opcode();
            switch (op) {
                case NOP:
                case DATA_DROP:
                case ELEM_DROP:
                    return true;
                case LOCAL_GET:
                    push(locals.computeIfAbsent((int) ins.operand(0), l -> fresh()));
                    return true;
                case LOCAL_SET:
                    locals.put((int) ins.operand(0), pop());
                    return true;
                case LOCAL_TEE: {
                    int v = pop();
                    locals.put((int) ins.operand(0), v);
                    push(v);
                    return true;
                }
                case DROP:
                case GLOBAL_SET:
                    pop();
                    return true;
                case SELECT:
                case SELECT_T:
                    pop();
                    pop();
                    pop();
                    push(fresh());
                    return true;
                case GLOBAL_GET:
                case MEMORY_SIZE:
                case TABLE_SIZE:
                case REF_NULL:
                case REF_FUNC:
                case F32_CONST:
                case F64_CONST:
                    push(fresh());
                    return true;
                case I32_CONST:
                    push(pureValue(-1, ins.operand(0) & 0xFFFF_FFFFL));
                    return true;
                case I64_CONST:
                    push(pureValue(-2, ins.operand(0)));
                    return true;
                case TABLE_GET:
                case REF_IS_NULL:
                    pop();
                    push(fresh());
                    return true;
                case TABLE_SET:
                    pop();
                    pop();
                    return true;
                default:
                    break;
            }
            if (NumericOps.opFor(op) < 0) {
                return false; // control, calls, bulk instructions, grow, and anything else: the run ends
            }
            if (NumericOps.isLoad(op)) {
                pop();
                push(fresh());
                return true;
            }
            if (NumericOps.isStore(op)) {
                pop(); // the value
                int address = pop();
                long off = ins.operand(1);
                if (off <= Integer.MAX_VALUE) {
                    groups.computeIfAbsent(address, a -> new ArrayList<>()).add(new long[] {index, off, width(op)});
                }
                return true;
            }
            String name = op.name();
            int arity = NumericOps.arity(name);
            long[] key = new long[arity + 1];
            key[0] = op.ordinal();
            for (int k = arity; k >= 1; k--) {
                key[k] = pop();
            }
            byte result = NumericOps.resultType(name);
            // integer results only: equal operands give the equal value (a float's NaN bits are left alone)
            push(result == ValueTypes.I32 || result == ValueTypes.I64 ? pureValue(key) : fresh());
            return true;
        }

        private void endRun() {
            for (List<long[]> stores : groups.values()) {
                if (stores.size() < 2) {
                    continue;
                }
                long lo = Long.MAX_VALUE;
                long hi = Long.MIN_VALUE;
                for (long[] s : stores) {
                    lo = Math.min(lo, s[1]);
                    hi = Math.max(hi, s[1] + s[2] - 1);
                }
                if (hi - lo + 1 > MemoryInstance.PAGE_SIZE) {
                    continue; // could touch three pages: each store marks its own
                }
                long[] first = stores.get(0);
                plan.byInstruction.put((int) first[0], new Marks((int) (lo - first[1]), (int) (hi - first[1])));
                plan.leaders++;
                for (int k = 1; k < stores.size(); k++) {
                    plan.covered.add((int) stores.get(k)[0]);
                }
            }
            groups.clear();
            stack.clear();
            locals.clear();
            pure.clear();
        }
    }
}
