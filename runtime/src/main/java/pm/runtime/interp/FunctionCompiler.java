package pm.runtime.interp;

import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import pm.runtime.InvalidModuleException;

/**
 * Translates one validated function body into the pre-decoded form of {@link CompiledFunction}.
 *
 * <p>It abstract-interprets the body over value types, which gives every branch its target pc, its
 * arity and the operand height it restores, so the interpreter keeps no control stack at run time.
 * The same walk, stopped at an offset, tells which types and labels are live there: that is how a
 * state is typed when written and checked when read. Not thread-safe; one instance per compile.
 */
final class FunctionCompiler {
    static final int KIND_BLOCK = 1;
    static final int KIND_LOOP = 2;
    static final int KIND_IF = 3;
    static final int KIND_ELSE = 4;
    static final int KIND_FUNCTION = 5;

    /** What is live just before the instruction at an offset: operand types and enclosing labels. */
    static final class Probe {
        final byte[] operandTypes;
        final List<int[]> labels; // {kind, startOffset, arity, height}, outermost first, function label excluded

        Probe(byte[] operandTypes, List<int[]> labels) {
            this.operandTypes = operandTypes;
            this.labels = labels;
        }
    }

    private static final class Ctrl {
        int kind;
        int startOffset;
        byte[] params;
        byte[] results;
        int height;
        int loopPc;
        int[] fixups = new int[4];
        int fixupCount;
        int ifFalseSlot = -1;
        boolean unreachable;
        boolean dead;

        void addFixup(int slot) {
            if (fixupCount == fixups.length) {
                fixups = Arrays.copyOf(fixups, fixupCount * 2);
            }
            fixups[fixupCount++] = slot;
        }
    }

    private final ModuleTypes types;

    private final CodeBuffer buf = new CodeBuffer();
    private byte[] tstack = new byte[32];
    private int th;
    private int maxTh;
    private final ArrayList<Ctrl> ctrls = new ArrayList<>();
    private int localCount;
    private byte[] localTypes;
    private int curOffset;

    private int probeOffset = -1;
    private Probe probe;

    private final boolean fuse;

    FunctionCompiler(ModuleTypes types) {
        this(types, true);
    }

    /** {@code fuse=false} gives code with an op at every instruction: for resuming inside a fused pair. */
    FunctionCompiler(ModuleTypes types, boolean fuse) {
        this.types = types;
        this.fuse = fuse;
    }

    CompiledFunction compile(int funcIndex, FunctionBody body) {
        walk(funcIndex, body);
        int typeIndex = types.functionTypes[funcIndex];
        return new CompiledFunction(
                funcIndex,
                typeIndex,
                types.typeParams[typeIndex],
                types.typeResults[typeIndex],
                localTypes,
                buf.code(),
                maxTh,
                buf.opPcs(),
                buf.opOffsets());
    }

    /** Types and labels live before the instruction at {@code offset}, or null if it never runs. */
    Probe probe(int funcIndex, FunctionBody body, int offset) {
        probeOffset = offset;
        walk(funcIndex, body);
        return probe;
    }

    private void walk(int funcIndex, FunctionBody body) {
        int typeIndex = types.functionTypes[funcIndex];
        byte[] params = types.typeParams[typeIndex];
        List<ValType> declared = body.localTypes();
        localCount = params.length + declared.size();
        localTypes = Arrays.copyOf(params, localCount);
        for (int i = 0; i < declared.size(); i++) {
            localTypes[params.length + i] = ValueTypes.of(declared.get(i));
        }
        Ctrl fn = new Ctrl();
        fn.kind = KIND_FUNCTION;
        fn.params = new byte[0];
        fn.results = types.typeResults[typeIndex];
        ctrls.add(fn);

        List<AnnotatedInstruction> instructions = body.instructions();
        int base = instructions.get(0).address();
        for (Instruction ins : instructions) {
            curOffset = ins.address() - base;
            Ctrl top = ctrls.get(ctrls.size() - 1);
            if (curOffset == probeOffset) {
                if (!top.unreachable && !top.dead) {
                    probe = captureProbe();
                } else if (ins.opcode() == OpCode.END && ctrls.size() == 1) {
                    // The function's end is reached by branches even after an unconditional exit.
                    probe = new Probe(top.results.clone(), List.of());
                }
                return;
            }
            if (top.unreachable || top.dead) {
                skipDead(ins, top);
            } else {
                int before = buf.opCount;
                translate(ins, top);
                if (fuse && buf.opCount > before) {
                    SuperInstructions.fuse(buf, this::relocateFixup); // only a fresh op joins its predecessor
                }
            }
            if (ctrls.isEmpty()) {
                return;
            }
        }
    }

    private Probe captureProbe() {
        List<int[]> labels = new ArrayList<>();
        for (int i = 1; i < ctrls.size(); i++) {
            Ctrl c = ctrls.get(i);
            labels.add(new int[] {c.kind, c.startOffset, arity(c), c.height});
        }
        return new Probe(Arrays.copyOf(tstack, th), labels);
    }

    private void skipDead(Instruction ins, Ctrl top) {
        switch (ins.opcode()) {
            case BLOCK:
            case LOOP:
            case IF: {
                Ctrl c = new Ctrl();
                c.kind = KIND_BLOCK;
                c.dead = true;
                c.params = new byte[0];
                c.results = new byte[0];
                ctrls.add(c);
                break;
            }
            case ELSE:
                if (top.dead) {
                    break;
                }
                enterElse(top);
                break;
            case END:
                end(top);
                break;
            default:
                break;
        }
    }

    private void translate(Instruction ins, Ctrl top) {
        switch (ins.opcode()) {
            case UNREACHABLE:
                buf.op(curOffset, Op.UNREACHABLE);
                markUnreachable(top);
                break;
            case NOP:
                break;
            case BLOCK:
            case LOOP:
            case IF: {
                if (ins.opcode() == OpCode.IF) {
                    pop();
                }
                Ctrl c = new Ctrl();
                long bt = ins.operand(0);
                c.params = blockParams(bt);
                c.results = blockResults(bt);
                c.startOffset = curOffset;
                c.height = th - c.params.length;
                switch (ins.opcode()) {
                    case BLOCK:
                        c.kind = KIND_BLOCK;
                        break;
                    case LOOP:
                        c.kind = KIND_LOOP;
                        c.loopPc = buf.len;
                        buf.markTarget();
                        break;
                    default:
                        c.kind = KIND_IF;
                        buf.op(curOffset, Op.IF_FALSE);
                        c.ifFalseSlot = buf.len;
                        buf.emit(-1);
                        break;
                }
                ctrls.add(c);
                break;
            }
            case ELSE: {
                buf.op(curOffset, Op.JUMP);
                top.addFixup(buf.len);
                buf.emit(-1);
                enterElse(top);
                break;
            }
            case END:
                end(top);
                break;
            case BR:
                emitBranch((int) ins.operand(0), Op.BR, Op.BR_LOOP, Op.BR_FIX, Op.BR_FIX_LOOP);
                markUnreachable(top);
                break;
            case BR_IF:
                pop();
                emitBranch((int) ins.operand(0), Op.BR_IF, Op.BR_IF_LOOP, Op.BR_IF_FIX, Op.BR_IF_FIX_LOOP);
                break;
            case BR_TABLE: {
                pop();
                int n = ins.operandCount() - 1;
                buf.op(curOffset, Op.BR_TABLE);
                buf.emit(n);
                for (int i = 0; i <= n; i++) {
                    Ctrl t = label((int) ins.operand(i));
                    int arity = arity(t);
                    if (t.kind == KIND_LOOP) {
                        buf.emit(t.loopPc);
                    } else {
                        t.addFixup(buf.len);
                        buf.emit(-1);
                    }
                    buf.emit(localCount + t.height);
                    buf.emit(arity);
                    buf.emit(t.kind == KIND_LOOP ? 1 : 0);
                }
                markUnreachable(top);
                break;
            }
            case RETURN:
                buf.op(curOffset, Op.RETURN);
                markUnreachable(top);
                break;
            case CALL: {
                int f = (int) ins.operand(0);
                buf.op(curOffset, Op.CALL);
                buf.emit(f);
                applyType(types.functionTypes[f]);
                break;
            }
            case CALL_INDIRECT: {
                int typeIdx = (int) ins.operand(0);
                int table = (int) ins.operand(1);
                pop();
                buf.op(curOffset, Op.CALL_INDIRECT);
                buf.emit(typeIdx);
                buf.emit(table);
                applyType(typeIdx);
                break;
            }
            case DROP:
                pop();
                buf.op(curOffset, Op.DROP);
                break;
            case SELECT:
            case SELECT_T: {
                pop();
                pop();
                byte t = pop();
                push(t);
                buf.op(curOffset, Op.SELECT);
                break;
            }
            case LOCAL_GET: {
                int idx = (int) ins.operand(0);
                buf.op(curOffset, Op.LOCAL_GET);
                buf.emit(idx);
                push(localTypes[idx]);
                break;
            }
            case LOCAL_SET:
                pop();
                buf.op(curOffset, Op.LOCAL_SET);
                buf.emit((int) ins.operand(0));
                break;
            case LOCAL_TEE:
                buf.op(curOffset, Op.LOCAL_TEE);
                buf.emit((int) ins.operand(0));
                break;
            case GLOBAL_GET: {
                int idx = (int) ins.operand(0);
                buf.op(curOffset, Op.GLOBAL_GET);
                buf.emit(idx);
                push(types.globalTypes[idx]);
                break;
            }
            case GLOBAL_SET:
                pop();
                buf.op(curOffset, Op.GLOBAL_SET);
                buf.emit((int) ins.operand(0));
                break;
            case TABLE_GET: {
                int t = (int) ins.operand(0);
                pop();
                buf.op(curOffset, Op.TABLE_GET);
                buf.emit(t);
                push(types.tableTypes[t]);
                break;
            }
            case TABLE_SET:
                pop();
                pop();
                buf.op(curOffset, Op.TABLE_SET);
                buf.emit((int) ins.operand(0));
                break;
            case MEMORY_SIZE:
                buf.op(curOffset, Op.MEMORY_SIZE);
                push(ValueTypes.I32);
                break;
            case MEMORY_GROW:
                pop();
                buf.op(curOffset, Op.MEMORY_GROW);
                push(ValueTypes.I32);
                break;
            case I32_CONST:
                buf.op(curOffset, Op.I32_CONST);
                buf.emit((int) ins.operand(0));
                push(ValueTypes.I32);
                break;
            case I64_CONST:
                buf.op(curOffset, Op.I64_CONST);
                buf.emitLong(ins.operand(0));
                push(ValueTypes.I64);
                break;
            case F32_CONST:
                buf.op(curOffset, Op.F32_CONST);
                buf.emit((int) ins.operand(0));
                push(ValueTypes.F32);
                break;
            case F64_CONST:
                buf.op(curOffset, Op.F64_CONST);
                buf.emitLong(ins.operand(0));
                push(ValueTypes.F64);
                break;
            case REF_NULL:
                buf.op(curOffset, Op.REF_NULL);
                push(heapType(ins.operand(0)));
                break;
            case REF_IS_NULL:
                unary(Op.REF_IS_NULL, ValueTypes.I32);
                break;
            case REF_FUNC:
                buf.op(curOffset, Op.REF_FUNC);
                buf.emit((int) ins.operand(0));
                push(ValueTypes.FUNCREF);
                break;
            case I32_REINTERPRET_F32:
            case I32_WRAP_I64:
                retype(ValueTypes.I32);
                break;
            case F32_REINTERPRET_I32:
                retype(ValueTypes.F32);
                break;
            case I64_REINTERPRET_F64:
                retype(ValueTypes.I64);
                break;
            case F64_REINTERPRET_I64:
                retype(ValueTypes.F64);
                break;
            case MEMORY_INIT:
                popN(3);
                buf.op(curOffset, Op.MEMORY_INIT);
                buf.emit((int) ins.operand(0));
                break;
            case DATA_DROP:
                buf.op(curOffset, Op.DATA_DROP);
                buf.emit((int) ins.operand(0));
                break;
            case MEMORY_COPY:
                popN(3);
                buf.op(curOffset, Op.MEMORY_COPY);
                break;
            case MEMORY_FILL:
                popN(3);
                buf.op(curOffset, Op.MEMORY_FILL);
                break;
            case TABLE_INIT:
                popN(3);
                buf.op(curOffset, Op.TABLE_INIT);
                buf.emit((int) ins.operand(0));
                buf.emit((int) ins.operand(1));
                break;
            case ELEM_DROP:
                buf.op(curOffset, Op.ELEM_DROP);
                buf.emit((int) ins.operand(0));
                break;
            case TABLE_COPY:
                popN(3);
                buf.op(curOffset, Op.TABLE_COPY);
                buf.emit((int) ins.operand(0));
                buf.emit((int) ins.operand(1));
                break;
            case TABLE_GROW:
                popN(2);
                buf.op(curOffset, Op.TABLE_GROW);
                buf.emit((int) ins.operand(0));
                push(ValueTypes.I32);
                break;
            case TABLE_SIZE:
                buf.op(curOffset, Op.TABLE_SIZE);
                buf.emit((int) ins.operand(0));
                push(ValueTypes.I32);
                break;
            case TABLE_FILL:
                popN(3);
                buf.op(curOffset, Op.TABLE_FILL);
                buf.emit((int) ins.operand(0));
                break;
            default:
                if (NumericOps.isLoad(ins.opcode())) {
                    load(
                            ins,
                            NumericOps.opFor(ins.opcode()),
                            NumericOps.resultType(ins.opcode().name()));
                } else if (NumericOps.isStore(ins.opcode())) {
                    store(ins, NumericOps.opFor(ins.opcode()));
                } else {
                    numeric(ins);
                }
                break;
        }
    }

    private void relocateFixup(int from, int to) {
        for (Ctrl c : ctrls) {
            for (int i = 0; i < c.fixupCount; i++) {
                if (c.fixups[i] == from) {
                    c.fixups[i] = to;
                }
            }
        }
    }

    private void numeric(Instruction ins) {
        String name = ins.opcode().name();
        int op = NumericOps.opFor(ins.opcode());
        if (op < 0) {
            throw new InvalidModuleException("unsupported instruction " + name + " at offset " + curOffset);
        }
        byte out = NumericOps.resultType(name);
        int arity = NumericOps.arity(name);
        popN(arity);
        buf.op(curOffset, op);
        push(out);
    }

    private void unary(int op, byte out) {
        pop();
        buf.op(curOffset, op);
        push(out);
    }

    private void retype(byte t) {
        pop();
        push(t);
    }

    private void load(Instruction ins, int op, byte out) {
        pop();
        long offset = ins.operand(1);
        if (offset > Integer.MAX_VALUE) {
            // Every address plus this offset is past any memory this runtime can hold.
            buf.op(curOffset, Op.MEMORY_OOB);
        } else {
            buf.op(curOffset, op);
            buf.emit((int) offset);
        }
        push(out);
    }

    private void store(Instruction ins, int op) {
        popN(2);
        long offset = ins.operand(1);
        if (offset > Integer.MAX_VALUE) {
            buf.op(curOffset, Op.MEMORY_OOB);
        } else {
            buf.op(curOffset, op);
            buf.emit((int) offset);
        }
    }

    private void enterElse(Ctrl c) {
        if (c.ifFalseSlot >= 0) {
            buf.code[c.ifFalseSlot] = buf.len;
            c.ifFalseSlot = -1;
        }
        buf.markTarget();
        c.kind = KIND_ELSE;
        c.unreachable = false;
        th = c.height;
        for (byte p : c.params) {
            push(p);
        }
    }

    private void end(Ctrl c) {
        ctrls.remove(ctrls.size() - 1);
        if (c.dead) {
            return;
        }
        if (c.kind == KIND_FUNCTION) {
            patchFixups(c, buf.len);
            th = c.results.length;
            buf.op(curOffset, Op.RETURN);
            return;
        }
        int target = buf.len;
        buf.markTarget();
        if (c.ifFalseSlot >= 0) {
            buf.code[c.ifFalseSlot] = target;
        }
        patchFixups(c, target);
        th = c.height;
        for (byte r : c.results) {
            push(r);
        }
    }

    private void patchFixups(Ctrl c, int target) {
        for (int i = 0; i < c.fixupCount; i++) {
            buf.code[c.fixups[i]] = target;
        }
    }

    private void markUnreachable(Ctrl c) {
        c.unreachable = true;
        th = c.height;
    }

    private Ctrl label(int depth) {
        return ctrls.get(ctrls.size() - 1 - depth);
    }

    private static int arity(Ctrl c) {
        return c.kind == KIND_LOOP ? c.params.length : c.results.length;
    }

    private void emitBranch(int depth, int plain, int loop, int fix, int fixLoop) {
        Ctrl t = label(depth);
        int arity = arity(t);
        boolean isLoop = t.kind == KIND_LOOP;
        boolean inPlace = th - arity == t.height;
        buf.op(curOffset, inPlace ? (isLoop ? loop : plain) : (isLoop ? fixLoop : fix));
        if (isLoop) {
            buf.emit(t.loopPc);
        } else {
            t.addFixup(buf.len);
            buf.emit(-1);
        }
        if (!inPlace) {
            buf.emit(localCount + t.height);
            buf.emit(arity);
        }
    }

    private void applyType(int typeIdx) {
        popN(types.typeParams[typeIdx].length);
        for (byte r : types.typeResults[typeIdx]) {
            push(r);
        }
    }

    private byte[] blockParams(long bt) {
        if (bt == 0x40 || ValType.isValid(bt)) {
            return new byte[0];
        }
        return types.typeParams[(int) bt];
    }

    private byte[] blockResults(long bt) {
        if (bt == 0x40) {
            return new byte[0];
        }
        if (ValType.isValid(bt)) {
            return new byte[] {ValueTypes.of(ValType.builder().fromId(bt).build())};
        }
        return types.typeResults[(int) bt];
    }

    private static byte heapType(long code) {
        if (code == ValType.TypeIdxCode.EXTERN.code() || code == ValType.ID.ExternRef) {
            return ValueTypes.EXTERNREF;
        }
        return ValueTypes.FUNCREF;
    }

    private void push(byte t) {
        if (th == tstack.length) {
            tstack = Arrays.copyOf(tstack, th * 2);
        }
        tstack[th++] = t;
        if (th > maxTh) {
            maxTh = th;
        }
    }

    private byte pop() {
        return tstack[--th];
    }

    private void popN(int n) {
        th -= n;
    }
}
