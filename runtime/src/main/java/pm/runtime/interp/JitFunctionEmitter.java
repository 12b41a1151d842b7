package pm.runtime.interp;

import static pm.runtime.interp.JitCompiler.CTX;
import static pm.runtime.interp.JitCompiler.CTX_DESC;
import static pm.runtime.interp.JitCompiler.NAME;
import static pm.runtime.interp.JitCompiler.OPS;
import static pm.runtime.interp.JitCompiler.RT;
import static pm.runtime.interp.JitCompiler.UNWIND;
import static pm.runtime.interp.JitCompiler.descriptor;
import static pm.runtime.interp.JitCompiler.fromSlot;
import static pm.runtime.interp.JitCompiler.jvm;
import static pm.runtime.interp.JitCompiler.loadOp;
import static pm.runtime.interp.JitCompiler.push;
import static pm.runtime.interp.JitCompiler.pushLong;
import static pm.runtime.interp.JitCompiler.storeOp;
import static pm.runtime.interp.JitCompiler.toSlot;
import static pm.runtime.interp.JitCompiler.wide;

import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Translates one function body to one JVM method of the module's class (see {@link JitCompiler}
 * for the representation): abstract-interprets the operand types as the validator does, maps
 * blocks to labels, emits safepoints at back-edges and calls with their slow paths and handlers
 * after the body, and, for the resume copy, the entry switch. One instance per method.
 */
final class JitFunctionEmitter {
    private static final int BLOCK = 1;
    private static final int LOOP = 2;
    private static final int IF = 3;
    private static final int FUNCTION = 5;
    /** In a region's method: a label outside the region, left by returning its exit code. */
    private static final int OUTER = 6;

    private static final class Ctrl {
        int kind;
        Label label; // where a branch goes: the end, or a loop's start
        Label elseLabel;
        int height;
        byte[] params;
        byte[] results;
        int loopStart; // instruction index, for the fuel a back-edge costs
        boolean unreachable;
        boolean dead;
        boolean targeted;
        boolean hasElse;
        int outerKind; // OUTER: the kind of the label outside
        int exitCode; // OUTER: what the region returns to leave by it
    }

    /** A region the function calls, emitted after it with the labels around it at the call. */
    private record Pending(JitRegions.Region region, List<Ctrl> outer) {}

    /** Code placed after the body: safepoint slow paths, traps and call-site handlers. */
    private interface Deferred {
        void emit();
    }

    private static final byte[] NONE = new byte[0];

    private final JitCompiler jc;
    private final ClassWriter cw;
    private final int index;
    private final CompiledFunction code;
    private final FunctionBody body;
    private final byte[] params;
    private final byte[] results;
    private MethodVisitor mv;
    private final ArrayList<Ctrl> ctrls = new ArrayList<>();
    private final List<Deferred> deferred = new ArrayList<>();
    private final Label shared = new Label();
    private byte[] ts = new byte[16]; // operand types
    private int th;
    private int insIndex;
    private int offset;

    private final int[] localSlots;
    private final int ctxSlot;
    private final int fuelSlot;
    private final int memSlot;
    private final int dirtySlot;
    private final int sizeSlot;
    private final int tmpLong;
    private final int tmpArray;
    private final int tmpInt;
    private final int tmpAddr;
    private final int spillBase;
    private final int frameWeight;
    private final boolean compact;
    /** Whether this is the resume copy: enters at a site instead of the start. */
    private final boolean resume;
    boolean hasLoop;
    /** Regions of this function (empty in a region's own method and where the function is small). */
    private final Map<Integer, JitRegions.Region> regions;
    /** Set in a region's method: the region, and the labels outside it. */
    private final JitRegions.Region region;
    private final List<Ctrl> outer;
    private final int regionNumber;
    private final List<Pending> pending = new ArrayList<>();
    private int skipUntil = -1;
    /**
     * Whether the function's locals live in a long[] (in {@code frameSlot}) rather than JVM locals:
     * so in a function split into regions, which read and write them there. A region's method
     * gets the array and keeps the locals it uses in JVM locals, written back when it leaves.
     */
    private final boolean frameLocals;
    private final int frameSlot;
    /** In a dry run: the operand stack height before each instruction, -1 where unreachable. */
    private final int[] heights;
    private final List<Integer> siteOffsets = new ArrayList<>();
    private final List<Label> siteLabels = new ArrayList<>();
    private final List<byte[]> siteTypes = new ArrayList<>();
    /** In the resume copy of a split function, by region number: where it enters that region's resume copy. */
    private final List<Label> regionEntries = new ArrayList<>();
    /** ... and the offsets of the region's first and last instructions. */
    private final List<int[]> regionSpans = new ArrayList<>();

    /** The offsets of the function's resume sites, its regions' included, in body order (the site numbers). */
    int[] siteOffsets() {
        return siteOffsets.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    JitFunctionEmitter(JitCompiler jc, ClassWriter cw, int index, boolean resume) {
        this(jc, cw, index, resume, null, List.of(), 0, false);
    }

    /** {@code measuring}: a dry run that only notes the operand stack's height before each instruction. */
    private JitFunctionEmitter(JitCompiler jc, ClassWriter cw, int index, boolean resume, JitRegions.Region region,
            List<Ctrl> outer, int regionNumber, boolean measuring) {
        this.region = region;
        this.outer = outer;
        this.regionNumber = regionNumber;
        this.resume = resume;
        this.compact = jc.compact.contains(index);
        this.jc = jc;
        this.cw = cw;
        this.index = index;
        this.code = jc.module.function(index);
        this.body = jc.module.wasm.codeSection().getFunctionBody(index - jc.module.importedFunctions);
        this.params = code.paramTypes;
        this.results = code.resultTypes;
        if (region == null && !measuring && JitRegions.large(body.instructions(), jc.regionLimit)) {
            JitFunctionEmitter dry = new JitFunctionEmitter(jc, new ClassWriter(0), index, false, null, List.of(), 0, true);
            dry.emit();
            this.regions = JitRegions.plan(body.instructions(), jc.types, code, dry.heights, jc.regionLimit);
        } else {
            this.regions = Map.of();
        }
        this.heights = measuring ? new int[body.instructions().size()] : null;
        this.frameLocals = region == null && !regions.isEmpty();
        byte[] lt = code.localTypes;
        this.localSlots = new int[lt.length];
        java.util.Arrays.fill(localSlots, -1);
        int slot = 0;
        if (region != null) {
            // a region's method: (long[] frame, ctx), and a JVM local for each local it uses
            this.frameSlot = slot++;
            this.ctxSlot = slot++;
            for (int l = 0; l < lt.length; l++) {
                if (region.used()[l]) {
                    localSlots[l] = slot;
                    slot += wide(lt[l]) ? 2 : 1;
                }
            }
        } else {
            for (int l = 0; l < params.length; l++) {
                localSlots[l] = slot;
                slot += wide(lt[l]) ? 2 : 1;
            }
            this.ctxSlot = slot++;
            this.frameSlot = slot++;
            for (int l = params.length; l < lt.length && !frameLocals; l++) {
                localSlots[l] = slot;
                slot += wide(lt[l]) ? 2 : 1;
            }
        }
        int top = slot;
        this.fuelSlot = top;
        this.memSlot = top + 2;
        this.dirtySlot = top + 3;
        this.sizeSlot = top + 4;
        this.tmpLong = top + 5;
        this.tmpArray = top + 7;
        this.tmpInt = top + 8;
        this.tmpAddr = top + 9;
        this.spillBase = top + 11;
        this.frameWeight = 8 * (spillBase + 4 * (code.maxOperandHeight + 2)) + 128;
    }

    /** A region's method takes the function's locals array and the context, and returns its exit code. */
    private static final String REGION_DESC = "([J" + CTX_DESC + ")I";

    /** Pushes local {@code l}: from its JVM local, or from the locals array of a function split into regions. */
    private void getLocal(int l) {
        byte t = code.localTypes[l];
        if (frameLocals) {
            mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
            push(mv, l);
            mv.visitInsn(Opcodes.LALOAD);
            fromSlot(mv, t);
        } else {
            mv.visitVarInsn(loadOp(t), slot(l));
        }
    }

    /** Pops the value on the stack into local {@code l}. */
    private void setLocal(int l) {
        byte t = code.localTypes[l];
        if (frameLocals) {
            toSlot(mv, t);
            mv.visitVarInsn(Opcodes.LSTORE, tmpLong);
            mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
            push(mv, l);
            mv.visitVarInsn(Opcodes.LLOAD, tmpLong);
            mv.visitInsn(Opcodes.LASTORE);
        } else {
            mv.visitVarInsn(storeOp(t), slot(l));
        }
    }

    /** Copies local {@code l} from its JVM local into the locals array (a region's method). */
    private void storeToFrame(int l) {
        mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
        push(mv, l);
        mv.visitVarInsn(loadOp(code.localTypes[l]), slot(l));
        toSlot(mv, code.localTypes[l]);
        mv.visitInsn(Opcodes.LASTORE);
    }

    private int slot(int local) {
        return localSlots[local];
    }

    private int spill(int k) {
        return spillBase + 2 * k;
    }

    private void pushType(byte t) {
        if (th == ts.length) {
            ts = Arrays.copyOf(ts, th * 2);
        }
        ts[th++] = t;
    }

    private byte popType() {
        return ts[--th];
    }

    int emit() {
        if (region != null) {
            mv = jc.cwMethod(cw, (resume ? "r" : "f") + index + "_" + regionNumber, REGION_DESC);
        } else {
            mv = jc.cwMethod(cw, (resume ? "r" : "f") + index, jc.functionDescriptor(index));
        }
        mv.visitCode();
        // prologue: count the frame, zero the locals, load fuel and memory; a region is no wasm frame
        // and gets its locals from the function
        counters(region == null ? 1 : 0, frameWeight);
        if (region != null) {
            for (int l = 0; l < code.localTypes.length; l++) {
                if (region.used()[l]) {
                    mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
                    push(mv, l);
                    mv.visitInsn(Opcodes.LALOAD);
                    fromSlot(mv, code.localTypes[l]);
                    mv.visitVarInsn(storeOp(code.localTypes[l]), slot(l));
                }
            }
        } else if (frameLocals) {
            // the locals live in an array its regions share; a new array is zero
            push(mv, code.localTypes.length);
            mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
            mv.visitVarInsn(Opcodes.ASTORE, frameSlot);
            for (int l = 0; l < params.length; l++) {
                mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
                push(mv, l);
                mv.visitVarInsn(loadOp(params[l]), slot(l));
                toSlot(mv, params[l]);
                mv.visitInsn(Opcodes.LASTORE);
            }
        } else {
            for (int l = params.length; l < code.localTypes.length; l++) {
                if (wide(code.localTypes[l])) {
                    mv.visitInsn(Opcodes.LCONST_0);
                } else {
                    mv.visitInsn(Opcodes.ICONST_0);
                }
                mv.visitVarInsn(storeOp(code.localTypes[l]), slot(l));
            }
        }
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "fuel", "J");
        mv.visitVarInsn(Opcodes.LSTORE, fuelSlot);
        reloadMemory();
        Label dispatch = new Label();
        if (resume) {
            mv.visitJumpInsn(Opcodes.GOTO, dispatch);
        }

        if (region == null) {
            Ctrl fn = new Ctrl();
            fn.kind = FUNCTION;
            fn.params = NONE;
            fn.results = results;
            ctrls.add(fn);
        } else {
            ctrls.addAll(outer);
        }
        List<AnnotatedInstruction> instructions = body.instructions();
        int base = instructions.get(0).address();
        int last = region == null ? instructions.size() - 1 : region.end();
        for (insIndex = region == null ? 0 : region.start(); insIndex <= last; insIndex++) {
            if (insIndex <= skipUntil) {
                continue; // inside a region, emitted as its own method
            }
            Instruction ins = instructions.get(insIndex);
            offset = ins.address() - base;
            Ctrl top = ctrls.get(ctrls.size() - 1);
            boolean live = !top.unreachable && !top.dead;
            if (heights != null) {
                heights[insIndex] = live ? th : -1;
            }
            if (live && th == 0 && regions.containsKey(insIndex)) {
                callRegion(regions.get(insIndex));
            } else if (live) {
                translate(ins, top);
            } else {
                skipDead(ins, top);
            }
            if (ctrls.isEmpty()) {
                break;
            }
        }
        if (region != null && !ctrls.get(ctrls.size() - 1).unreachable) {
            exitRegion(0); // ran to the end of the region
        }
        for (int i = 0; i < deferred.size(); i++) {
            deferred.get(i).emit();
        }
        if (resume) {
            emitDispatch(dispatch);
        }
        // shared tail of every stop: the frame's locals, then on to the caller's handler
        mv.visitLabel(shared);
        mv.visitInsn(Opcodes.DUP);
        if (region != null) {
            // the function's frame unwinds with this one: its array becomes the frame's locals
            for (int l = 0; l < code.localTypes.length; l++) {
                if (region.used()[l]) {
                    storeToFrame(l);
                }
            }
            mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
        } else if (frameLocals) {
            mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
        } else {
            localsArray();
        }
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, UNWIND, "locals", "([J)V", false);
        mv.visitInsn(Opcodes.ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        int size = ((JitCompiler.SizedMethod) mv).size();
        for (int k = 0; k < pending.size(); k++) {
            Pending p = pending.get(k);
            // the resume copy's regions are resume copies too; it calls the ordinary ones where it only passes
            JitFunctionEmitter r = new JitFunctionEmitter(jc, cw, index, resume, p.region(), p.outer(), k, false);
            size = Math.max(size, r.emit());
            siteOffsets.addAll(r.siteOffsets);
            hasLoop |= r.hasLoop;
        }
        return size;
    }

    /** Pushes a new long[] of the frame's locals as slots. */
    private void localsArray() {
        int nl = code.localTypes.length;
        push(mv, nl);
        mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
        for (int l = 0; l < nl; l++) {
            mv.visitInsn(Opcodes.DUP);
            push(mv, l);
            mv.visitVarInsn(loadOp(code.localTypes[l]), slot(l));
            toSlot(mv, code.localTypes[l]);
            mv.visitInsn(Opcodes.LASTORE);
        }
    }

    private void counters(int calls, int bytes) {
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitInsn(Opcodes.DUP);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "calls", "I");
        push(mv, calls);
        mv.visitInsn(Opcodes.IADD);
        mv.visitFieldInsn(Opcodes.PUTFIELD, CTX, "calls", "I");
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitInsn(Opcodes.DUP);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "stackBytes", "I");
        push(mv, bytes);
        mv.visitInsn(Opcodes.IADD);
        mv.visitFieldInsn(Opcodes.PUTFIELD, CTX, "stackBytes", "I");
    }

    private void reloadMemory() {
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "mem", "[B");
        mv.visitVarInsn(Opcodes.ASTORE, memSlot);
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "dirty", "[B");
        mv.visitVarInsn(Opcodes.ASTORE, dirtySlot);
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "memSize", "I");
        mv.visitVarInsn(Opcodes.ISTORE, sizeSlot);
    }

    private void storeFuel() {
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitVarInsn(Opcodes.LLOAD, fuelSlot);
        mv.visitFieldInsn(Opcodes.PUTFIELD, CTX, "fuel", "J");
    }

    private void loadFuel() {
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "fuel", "J");
        mv.visitVarInsn(Opcodes.LSTORE, fuelSlot);
    }

    private void skipDead(Instruction ins, Ctrl top) {
        switch (ins.opcode()) {
            case BLOCK:
            case LOOP:
            case IF:
                {
                    Ctrl c = new Ctrl();
                    c.kind = BLOCK;
                    c.dead = true;
                    ctrls.add(c);
                    break;
                }
            case ELSE:
                if (!top.dead) {
                    enterElse(top);
                }
                break;
            case END:
                end(top);
                break;
            default:
                break;
        }
    }

    /**
     * The resume copy's entry: the locals from {@code ctx.resume}, then by site the operands
     * and a jump to the site. Only this copy has the extra entries: in the ordinary method
     * every loop keeps its single entry, which HotSpot needs to optimise it.
     *
     * <p>Sites are numbered over the whole function in body order ({@link JitCompiler#sites}).
     * In a function split into regions, a site inside a region is entered through that region's
     * resume copy: the function's copy takes the locals array as it is and calls it where it
     * would call the region (regions start with an empty operand stack), leaving
     * {@code ctx.resume} for it; the region's copy has its used locals from that array already.
     */
    private void emitDispatch(Label dispatch) {
        mv.visitLabel(dispatch);
        if (region == null && frameLocals) {
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
            mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "locals", "[J");
            mv.visitVarInsn(Opcodes.ASTORE, frameSlot);
        } else if (region == null) {
            for (int l = 0; l < code.localTypes.length; l++) {
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
                mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "locals", "[J");
                push(mv, l);
                mv.visitInsn(Opcodes.LALOAD);
                fromSlot(mv, code.localTypes[l]);
                mv.visitVarInsn(storeOp(code.localTypes[l]), slot(l));
            }
        }
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
        mv.visitInsn(Opcodes.DUP);
        mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "operands", "[J");
        mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
        mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "site", "I");
        int[] all = jc.sites(index);
        Map<Integer, Integer> mineAt = new java.util.HashMap<>();
        for (int i = 0; i < siteOffsets.size(); i++) {
            mineAt.put(siteOffsets.get(i), i);
        }
        List<Integer> keys = new ArrayList<>();
        List<Label> targets = new ArrayList<>();
        List<Integer> own = new ArrayList<>(); // by key: the index in this method's sites, or -1 for a region's entry
        for (int g = 0; g < all.length; g++) {
            int mine = mineAt.getOrDefault(all[g], -1);
            int k = mine >= 0 ? -1 : regionAt(all[g]);
            if (mine >= 0 || k >= 0) {
                keys.add(g);
                targets.add(mine >= 0 ? new Label() : regionEntries.get(k));
                own.add(mine);
            }
        }
        Label bad = new Label();
        if (keys.isEmpty()) {
            mv.visitInsn(Opcodes.POP);
            mv.visitJumpInsn(Opcodes.GOTO, bad);
        } else {
            mv.visitLookupSwitchInsn(bad, keys.stream().mapToInt(Integer::intValue).toArray(), targets.toArray(new Label[0]));
        }
        for (int i = 0; i < keys.size(); i++) {
            int mine = own.get(i);
            if (mine < 0) {
                continue;
            }
            mv.visitLabel(targets.get(i));
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitFieldInsn(Opcodes.PUTFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
            byte[] types = siteTypes.get(mine);
            for (int k = 0; k < types.length; k++) {
                mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                push(mv, k);
                mv.visitInsn(Opcodes.LALOAD);
                fromSlot(mv, types[k]);
            }
            mv.visitJumpInsn(Opcodes.GOTO, siteLabels.get(mine));
        }
        mv.visitLabel(bad);
        mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn("no resume site");
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(Opcodes.ATHROW);
    }

    /** The number of the region (called from this method) holding the instruction at {@code offset}, or -1. */
    private int regionAt(int offset) {
        for (int k = 0; k < regionSpans.size(); k++) {
            int[] span = regionSpans.get(k);
            if (offset >= span[0] && offset <= span[1]) {
                return k;
            }
        }
        return -1;
    }

    /** A safepoint instruction (branch, call or bulk instruction): a resume site, numbered in body order. */
    private void site() {
        siteOffsets.add(offset);
        siteTypes.add(Arrays.copyOf(ts, th));
        Label l = new Label();
        siteLabels.add(l);
        if (resume) {
            mv.visitLabel(l);
        }
    }

    private void translate(Instruction ins, Ctrl top) {
        OpCode op = ins.opcode();
        switch (op) {
            case BR:
            case BR_IF:
            case BR_TABLE:
            case CALL:
            case CALL_INDIRECT:
            case MEMORY_INIT:
            case MEMORY_COPY:
            case MEMORY_FILL:
            case TABLE_INIT:
            case TABLE_COPY:
            case TABLE_FILL:
                site();
                break;
            case LOOP:
                hasLoop = true;
                break;
            default:
                break;
        }
        switch (op) {
            case UNREACHABLE:
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "unreachable", "()Ljava/lang/RuntimeException;", false);
                mv.visitInsn(Opcodes.ATHROW);
                markUnreachable(top);
                break;
            case NOP:
                break;
            case BLOCK:
            case LOOP:
            case IF:
                {
                    if (op == OpCode.IF) {
                        popType();
                    }
                    Ctrl c = new Ctrl();
                    long bt = ins.operand(0);
                    c.params = blockParams(bt);
                    c.results = blockResults(bt);
                    c.height = th - c.params.length;
                    c.label = new Label();
                    if (op == OpCode.LOOP) {
                        c.kind = LOOP;
                        c.loopStart = insIndex;
                        mv.visitLabel(c.label);
                    } else if (op == OpCode.IF) {
                        c.kind = IF;
                        c.elseLabel = new Label();
                        mv.visitJumpInsn(Opcodes.IFEQ, c.elseLabel);
                    } else {
                        c.kind = BLOCK;
                    }
                    ctrls.add(c);
                    break;
                }
            case ELSE:
                mv.visitJumpInsn(Opcodes.GOTO, top.label);
                top.targeted = true;
                enterElse(top);
                break;
            case END:
                end(top);
                break;
            case BR:
                branch((int) ins.operand(0), null);
                markUnreachable(top);
                break;
            case BR_IF:
                {
                    popType();
                    Label skip = new Label();
                    mv.visitJumpInsn(Opcodes.IFEQ, skip);
                    branch((int) ins.operand(0), 1L);
                    mv.visitLabel(skip);
                    break;
                }
            case BR_TABLE:
                {
                    popType();
                    int n = ins.operandCount() - 1;
                    Map<Integer, Label> byDepth = new LinkedHashMap<>();
                    Map<Integer, Integer> firstIndex = new LinkedHashMap<>();
                    Label[] labels = new Label[n];
                    for (int i = 0; i <= n; i++) {
                        int depth = (int) ins.operand(i);
                        Label l = byDepth.computeIfAbsent(depth, d -> new Label());
                        firstIndex.putIfAbsent(depth, i);
                        if (i < n) {
                            labels[i] = l;
                        }
                    }
                    Label dflt = byDepth.get((int) ins.operand(n));
                    if (n == 0) {
                        mv.visitInsn(Opcodes.POP);
                        mv.visitJumpInsn(Opcodes.GOTO, dflt);
                    } else {
                        mv.visitTableSwitchInsn(0, n - 1, dflt, labels);
                    }
                    int height = th;
                    for (Map.Entry<Integer, Label> e : byDepth.entrySet()) {
                        th = height;
                        mv.visitLabel(e.getValue());
                        branch(e.getKey(), (long) firstIndex.get(e.getKey()));
                    }
                    markUnreachable(top);
                    break;
                }
            case RETURN:
                emitReturn();
                markUnreachable(top);
                break;
            case CALL:
                call((int) ins.operand(0));
                break;
            case CALL_INDIRECT:
                callIndirect((int) ins.operand(0), (int) ins.operand(1));
                break;
            case DROP:
                mv.visitInsn(wide(popType()) ? Opcodes.POP2 : Opcodes.POP);
                break;
            case SELECT:
            case SELECT_T:
                {
                    popType();
                    popType();
                    byte t = ts[th - 1];
                    Label keep = new Label();
                    Label done = new Label();
                    mv.visitJumpInsn(Opcodes.IFNE, keep);
                    if (wide(t)) {
                        mv.visitInsn(Opcodes.DUP2_X2);
                        mv.visitInsn(Opcodes.POP2);
                        mv.visitInsn(Opcodes.POP2);
                    } else {
                        mv.visitInsn(Opcodes.SWAP);
                        mv.visitInsn(Opcodes.POP);
                    }
                    mv.visitJumpInsn(Opcodes.GOTO, done);
                    mv.visitLabel(keep);
                    mv.visitInsn(wide(t) ? Opcodes.POP2 : Opcodes.POP);
                    mv.visitLabel(done);
                    break;
                }
            case LOCAL_GET:
                {
                    int l = (int) ins.operand(0);
                    getLocal(l);
                    pushType(code.localTypes[l]);
                    break;
                }
            case LOCAL_SET:
                {
                    int l = (int) ins.operand(0);
                    setLocal(l);
                    popType();
                    break;
                }
            case LOCAL_TEE:
                {
                    int l = (int) ins.operand(0);
                    mv.visitInsn(wide(code.localTypes[l]) ? Opcodes.DUP2 : Opcodes.DUP);
                    setLocal(l);
                    break;
                }
            case GLOBAL_GET:
                {
                    int g = (int) ins.operand(0);
                    mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                    mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "globals", "[Lpm/runtime/interp/GlobalInstance;");
                    push(mv, g);
                    mv.visitInsn(Opcodes.AALOAD);
                    mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/GlobalInstance", "value", "J");
                    fromSlot(mv, jc.types.globalTypes[g]);
                    pushType(jc.types.globalTypes[g]);
                    break;
                }
            case GLOBAL_SET:
                toSlot(mv, popType());
                runtime("globalSet", "(J" + CTX_DESC + "I)V", (int) ins.operand(0));
                break;
            case TABLE_GET:
                popType();
                runtime("tableGet", "(I" + CTX_DESC + "I)J", (int) ins.operand(0));
                pushType(jc.types.tableTypes[(int) ins.operand(0)]);
                break;
            case TABLE_SET:
                popType();
                popType();
                runtime("tableSet", "(IJ" + CTX_DESC + "I)V", (int) ins.operand(0));
                break;
            case MEMORY_SIZE:
                mv.visitVarInsn(Opcodes.ILOAD, sizeSlot);
                push(mv, 16);
                mv.visitInsn(Opcodes.IUSHR);
                pushType(ValueTypes.I32);
                break;
            case MEMORY_GROW:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "memoryGrow", "(I" + CTX_DESC + ")I", false);
                reloadMemory();
                break;
            case I32_CONST:
                push(mv, (int) ins.operand(0));
                pushType(ValueTypes.I32);
                break;
            case F32_CONST:
                push(mv, (int) ins.operand(0));
                pushType(ValueTypes.F32);
                break;
            case I64_CONST:
                pushLong(mv, ins.operand(0));
                pushType(ValueTypes.I64);
                break;
            case F64_CONST:
                pushLong(mv, ins.operand(0));
                pushType(ValueTypes.F64);
                break;
            case REF_NULL:
                pushLong(mv, ValueTypes.NULL_REF);
                pushType(heapType(ins.operand(0)));
                break;
            case REF_IS_NULL:
                popType();
                pushLong(mv, ValueTypes.NULL_REF);
                mv.visitInsn(Opcodes.LCMP);
                bool(Opcodes.IFEQ);
                pushType(ValueTypes.I32);
                break;
            case REF_FUNC:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                push(mv, (int) ins.operand(0));
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "refFunc", "(" + CTX_DESC + "I)J", false);
                pushType(ValueTypes.FUNCREF);
                break;
            case I32_WRAP_I64:
                mv.visitInsn(Opcodes.L2I);
                popType();
                pushType(ValueTypes.I32);
                break;
            case I32_REINTERPRET_F32:
                popType();
                pushType(ValueTypes.I32);
                break;
            case F32_REINTERPRET_I32:
                popType();
                pushType(ValueTypes.F32);
                break;
            case I64_REINTERPRET_F64:
                popType();
                pushType(ValueTypes.I64);
                break;
            case F64_REINTERPRET_I64:
                popType();
                pushType(ValueTypes.F64);
                break;
            case MEMORY_INIT:
                bulk("memoryInit", "(III" + CTX_DESC + "I)Z", (int) ins.operand(0));
                break;
            case DATA_DROP:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                push(mv, (int) ins.operand(0));
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "dataDrop", "(" + CTX_DESC + "I)V", false);
                break;
            case MEMORY_COPY:
                bulk("memoryCopy", "(III" + CTX_DESC + ")Z");
                break;
            case MEMORY_FILL:
                bulk("memoryFill", "(III" + CTX_DESC + ")Z");
                break;
            case TABLE_INIT:
                bulk("tableInit", "(III" + CTX_DESC + "II)Z", (int) ins.operand(0), (int) ins.operand(1));
                break;
            case ELEM_DROP:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                push(mv, (int) ins.operand(0));
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "elemDrop", "(" + CTX_DESC + "I)V", false);
                break;
            case TABLE_COPY:
                bulk("tableCopy", "(III" + CTX_DESC + "II)Z", (int) ins.operand(0), (int) ins.operand(1));
                break;
            case TABLE_GROW:
                th -= 2;
                runtime("tableGrow", "(JI" + CTX_DESC + "I)I", (int) ins.operand(0));
                pushType(ValueTypes.I32);
                break;
            case TABLE_SIZE:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                push(mv, (int) ins.operand(0));
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "tableSize", "(" + CTX_DESC + "I)I", false);
                pushType(ValueTypes.I32);
                break;
            case TABLE_FILL:
                bulk("tableFill", "(IJI" + CTX_DESC + "I)Z", (int) ins.operand(0));
                break;
            default:
                if (NumericOps.isLoad(op)) {
                    load(op, ins.operand(1));
                } else if (NumericOps.isStore(op)) {
                    store(op, ins.operand(1));
                } else if (!inlineNumeric(op)) {
                    String name = op.name();
                    int arity = NumericOps.arity(name);
                    byte operand = ts[th - 1];
                    th -= arity;
                    byte result = NumericOps.resultType(name);
                    String d = "(" + jvm(operand) + (arity == 2 ? String.valueOf(jvm(operand)) : "") + ")" + jvm(result);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, OPS, name.toLowerCase(java.util.Locale.ROOT), d, false);
                    pushType(result);
                }
                break;
        }
    }

    /** Calls a runtime helper whose arguments are the operands, the context and one immediate. */
    private void runtime(String name, String desc, int immediate) {
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        push(mv, immediate);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, name, desc, false);
    }

    /**
     * A bulk instruction: its helper takes the three operands, the context and the immediates, and
     * answers whether it stopped part-way for a freeze. Then this frame stops at the instruction
     * with the operands under it and the rest of the work (ctx.rest) as its three operands, so it
     * runs again on the rest where it resumes (a resume site, in either tier).
     */
    private void bulk(String name, String desc, int... immediates) {
        th -= 3;
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        for (int immediate : immediates) {
            push(mv, immediate);
        }
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, name, desc, false);
        Label slow = new Label();
        mv.visitJumpInsn(Opcodes.IFNE, slow);
        int height = th;
        byte[] types = Arrays.copyOf(ts, th);
        int at = offset;
        deferred.add(() -> {
            mv.visitLabel(slow);
            push(mv, height + 3);
            mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
            mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "rest", "[J");
            push(mv, 0);
            mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
            push(mv, height);
            push(mv, 3);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "arraycopy", "(Ljava/lang/Object;ILjava/lang/Object;II)V", false);
            popInto(types, height);
            stop(at, tmpArray);
        });
    }

    /**
     * The integer instructions as plain JVM instructions, not calls: a huge generated method
     * gets nothing inlined by C2 (past its inlining budget), so a helper call per add would
     * stay a call.
     */
    private boolean inlineNumeric(OpCode op) {
        if (compact && NumericOps.resultType(op.name()) == ValueTypes.I32 && NumericOps.arity(op.name()) == 2
                && !op.name().startsWith("I32_")) {
            return false; // i64 comparisons: a call is smaller
        }
        if (compact && (op.name().endsWith("_U") || op.name().endsWith("EQZ")) && !op.name().contains("SHR")
                && !op.name().contains("EXTEND")) {
            return false;
        }
        switch (op) {
            case I32_ADD: return binary(Opcodes.IADD, ValueTypes.I32);
            case I32_SUB: return binary(Opcodes.ISUB, ValueTypes.I32);
            case I32_MUL: return binary(Opcodes.IMUL, ValueTypes.I32);
            case I32_AND: return binary(Opcodes.IAND, ValueTypes.I32);
            case I32_OR: return binary(Opcodes.IOR, ValueTypes.I32);
            case I32_XOR: return binary(Opcodes.IXOR, ValueTypes.I32);
            case I32_SHL: return binary(Opcodes.ISHL, ValueTypes.I32);
            case I32_SHR_S: return binary(Opcodes.ISHR, ValueTypes.I32);
            case I32_SHR_U: return binary(Opcodes.IUSHR, ValueTypes.I32);
            case I64_ADD: return binary(Opcodes.LADD, ValueTypes.I64);
            case I64_SUB: return binary(Opcodes.LSUB, ValueTypes.I64);
            case I64_MUL: return binary(Opcodes.LMUL, ValueTypes.I64);
            case I64_AND: return binary(Opcodes.LAND, ValueTypes.I64);
            case I64_OR: return binary(Opcodes.LOR, ValueTypes.I64);
            case I64_XOR: return binary(Opcodes.LXOR, ValueTypes.I64);
            case I64_SHL: return shift(Opcodes.LSHL);
            case I64_SHR_S: return shift(Opcodes.LSHR);
            case I64_SHR_U: return shift(Opcodes.LUSHR);
            case I32_EQZ:
                popType();
                bool(Opcodes.IFEQ);
                pushType(ValueTypes.I32);
                return true;
            case I64_EQZ:
                popType();
                mv.visitInsn(Opcodes.LCONST_0);
                mv.visitInsn(Opcodes.LCMP);
                bool(Opcodes.IFEQ);
                pushType(ValueTypes.I32);
                return true;
            case I32_EQ: return i32Compare(Opcodes.IF_ICMPEQ, false);
            case I32_NE: return i32Compare(Opcodes.IF_ICMPNE, false);
            case I32_LT_S: return i32Compare(Opcodes.IF_ICMPLT, false);
            case I32_GT_S: return i32Compare(Opcodes.IF_ICMPGT, false);
            case I32_LE_S: return i32Compare(Opcodes.IF_ICMPLE, false);
            case I32_GE_S: return i32Compare(Opcodes.IF_ICMPGE, false);
            case I32_LT_U: return i32Compare(Opcodes.IF_ICMPLT, true);
            case I32_GT_U: return i32Compare(Opcodes.IF_ICMPGT, true);
            case I32_LE_U: return i32Compare(Opcodes.IF_ICMPLE, true);
            case I32_GE_U: return i32Compare(Opcodes.IF_ICMPGE, true);
            case I64_EQ: return i64Compare(Opcodes.IFEQ, false);
            case I64_NE: return i64Compare(Opcodes.IFNE, false);
            case I64_LT_S: return i64Compare(Opcodes.IFLT, false);
            case I64_GT_S: return i64Compare(Opcodes.IFGT, false);
            case I64_LE_S: return i64Compare(Opcodes.IFLE, false);
            case I64_GE_S: return i64Compare(Opcodes.IFGE, false);
            case I64_LT_U: return i64Compare(Opcodes.IFLT, true);
            case I64_GT_U: return i64Compare(Opcodes.IFGT, true);
            case I64_LE_U: return i64Compare(Opcodes.IFLE, true);
            case I64_GE_U: return i64Compare(Opcodes.IFGE, true);
            case I64_EXTEND_I32_S:
                popType();
                mv.visitInsn(Opcodes.I2L);
                pushType(ValueTypes.I64);
                return true;
            case I64_EXTEND_I32_U:
                popType();
                mv.visitInsn(Opcodes.I2L);
                mv.visitLdcInsn(0xFFFF_FFFFL);
                mv.visitInsn(Opcodes.LAND);
                pushType(ValueTypes.I64);
                return true;
            case I64_EXTEND_32_S:
                mv.visitInsn(Opcodes.L2I);
                mv.visitInsn(Opcodes.I2L);
                return true;
            case I32_EXTEND_8_S:
                mv.visitInsn(Opcodes.I2B);
                return true;
            case I32_EXTEND_16_S:
                mv.visitInsn(Opcodes.I2S);
                return true;
            default:
                return false;
        }
    }

    private boolean binary(int insn, byte type) {
        mv.visitInsn(insn);
        th--;
        return true;
    }

    private boolean shift(int insn) {
        mv.visitInsn(Opcodes.L2I);
        mv.visitInsn(insn);
        th--;
        return true;
    }

    private boolean i32Compare(int jump, boolean unsigned) {
        if (unsigned) {
            push(mv, Integer.MIN_VALUE);
            mv.visitInsn(Opcodes.IXOR);
            mv.visitInsn(Opcodes.SWAP);
            push(mv, Integer.MIN_VALUE);
            mv.visitInsn(Opcodes.IXOR);
            mv.visitInsn(Opcodes.SWAP);
        }
        th -= 2;
        bool(jump);
        pushType(ValueTypes.I32);
        return true;
    }

    private boolean i64Compare(int jump, boolean unsigned) {
        if (unsigned) {
            mv.visitLdcInsn(Long.MIN_VALUE);
            mv.visitInsn(Opcodes.LXOR);
            mv.visitVarInsn(Opcodes.LSTORE, tmpLong);
            mv.visitLdcInsn(Long.MIN_VALUE);
            mv.visitInsn(Opcodes.LXOR);
            mv.visitVarInsn(Opcodes.LLOAD, tmpLong);
        }
        mv.visitInsn(Opcodes.LCMP);
        th -= 2;
        bool(jump);
        pushType(ValueTypes.I32);
        return true;
    }

    /** Pushes int 1 if {@code jump} is taken on what is on the stack, else 0. */
    private void bool(int jump) {
        Label yes = new Label();
        Label done = new Label();
        mv.visitJumpInsn(jump, yes);
        mv.visitInsn(Opcodes.ICONST_0);
        mv.visitJumpInsn(Opcodes.GOTO, done);
        mv.visitLabel(yes);
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitLabel(done);
    }

    /**
     * Consumes the i32 address on the stack and pushes Unsafe, the memory array and the offset
     * of the access in it, or jumps to a trap: the address is unsigned, so its sum with the
     * static offset cannot wrap in 64 bits, and the access must end within the memory's size.
     * The index is left in {@code tmpAddr} for the dirty mark.
     */
    private void effectiveAddress(long off, int width) {
        mv.visitInsn(Opcodes.I2L);
        mv.visitLdcInsn(0xFFFF_FFFFL);
        mv.visitInsn(Opcodes.LAND);
        if (off != 0) {
            pushLong(mv, off);
            mv.visitInsn(Opcodes.LADD);
        }
        mv.visitInsn(Opcodes.DUP2);
        mv.visitVarInsn(Opcodes.LSTORE, tmpAddr);
        mv.visitVarInsn(Opcodes.ILOAD, sizeSlot);
        push(mv, width);
        mv.visitInsn(Opcodes.ISUB);
        mv.visitInsn(Opcodes.I2L);
        mv.visitInsn(Opcodes.LCMP);
        Label trap = new Label();
        mv.visitJumpInsn(Opcodes.IFGT, trap);
        deferred.add(() -> {
            mv.visitLabel(trap);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "outOfBounds", "()Ljava/lang/RuntimeException;", false);
            mv.visitInsn(Opcodes.ATHROW);
        });
        mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "U", "Lsun/misc/Unsafe;");
        mv.visitVarInsn(Opcodes.ALOAD, memSlot);
        mv.visitVarInsn(Opcodes.LLOAD, tmpAddr);
        mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "BASE", "J");
        mv.visitInsn(Opcodes.LADD);
    }

    private static final String UNSAFE = "sun/misc/Unsafe";

    private void unsafe(String name, String desc) {
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, UNSAFE, name, desc, false);
    }

    /** A load with the address (i32) on the stack; pushes the loaded value's type. */
    private void load(OpCode op, long off) {
        popType();
        byte result = NumericOps.resultType(op.name());
        if (off > Integer.MAX_VALUE) {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, wide(result) ? "outOfBoundsLoadJ" : "outOfBoundsLoadI",
                    wide(result) ? "(I)J" : "(I)I", false);
            pushType(result);
            return;
        }
        if (!JitOps.DIRECT || compact) {
            push(mv, (int) off);
            mv.visitVarInsn(Opcodes.ALOAD, memSlot);
            mv.visitVarInsn(Opcodes.ILOAD, sizeSlot);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, OPS, op.name().toLowerCase(java.util.Locale.ROOT),
                    "(II[BI)" + jvm(result), false);
            pushType(result);
            return;
        }
        switch (op) {
            case I32_LOAD:
            case F32_LOAD:
                effectiveAddress(off, 4);
                unsafe("getInt", "(Ljava/lang/Object;J)I");
                break;
            case I64_LOAD32_S:
                effectiveAddress(off, 4);
                unsafe("getInt", "(Ljava/lang/Object;J)I");
                mv.visitInsn(Opcodes.I2L);
                break;
            case I64_LOAD32_U:
                effectiveAddress(off, 4);
                unsafe("getInt", "(Ljava/lang/Object;J)I");
                mv.visitInsn(Opcodes.I2L);
                mv.visitLdcInsn(0xFFFF_FFFFL);
                mv.visitInsn(Opcodes.LAND);
                break;
            case I64_LOAD:
            case F64_LOAD:
                effectiveAddress(off, 8);
                unsafe("getLong", "(Ljava/lang/Object;J)J");
                break;
            case I32_LOAD8_S:
            case I64_LOAD8_S:
                effectiveAddress(off, 1);
                unsafe("getByte", "(Ljava/lang/Object;J)B");
                break;
            case I32_LOAD8_U:
            case I64_LOAD8_U:
                effectiveAddress(off, 1);
                unsafe("getByte", "(Ljava/lang/Object;J)B");
                push(mv, 0xFF);
                mv.visitInsn(Opcodes.IAND);
                break;
            case I32_LOAD16_S:
            case I64_LOAD16_S:
                effectiveAddress(off, 2);
                unsafe("getShort", "(Ljava/lang/Object;J)S");
                break;
            case I32_LOAD16_U:
            case I64_LOAD16_U:
                effectiveAddress(off, 2);
                unsafe("getShort", "(Ljava/lang/Object;J)S");
                push(mv, 0xFFFF);
                mv.visitInsn(Opcodes.IAND);
                break;
            default:
                throw new IllegalStateException(op.name());
        }
        if (wide(result) && op != OpCode.I64_LOAD && op != OpCode.F64_LOAD && op != OpCode.I64_LOAD32_S
                && op != OpCode.I64_LOAD32_U) {
            mv.visitInsn(Opcodes.I2L);
        }
        pushType(result);
    }

    /** A store with the address (i32) and the value on the stack. */
    private void store(OpCode op, long off) {
        byte value = popType();
        popType();
        if (off > Integer.MAX_VALUE) {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, wide(value) ? "outOfBoundsStoreJ" : "outOfBoundsStoreI",
                    wide(value) ? "(IJ)V" : "(II)V", false);
            return;
        }
        if (!JitOps.DIRECT || compact) {
            push(mv, (int) off);
            mv.visitVarInsn(Opcodes.ALOAD, memSlot);
            mv.visitVarInsn(Opcodes.ILOAD, sizeSlot);
            mv.visitVarInsn(Opcodes.ALOAD, dirtySlot);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, OPS, op.name().toLowerCase(java.util.Locale.ROOT),
                    "(I" + jvm(value) + "I[BI[B)V", false);
            return;
        }
        int width;
        String name;
        String desc;
        int narrow; // after narrowing a long to int, if the value is a long
        switch (op) {
            case I32_STORE:
            case F32_STORE:
            case I64_STORE32:
                width = 4; name = "putInt"; desc = "(Ljava/lang/Object;JI)V"; narrow = -1;
                break;
            case I64_STORE:
            case F64_STORE:
                width = 8; name = "putLong"; desc = "(Ljava/lang/Object;JJ)V"; narrow = -1;
                break;
            case I32_STORE8:
            case I64_STORE8:
                width = 1; name = "putByte"; desc = "(Ljava/lang/Object;JB)V"; narrow = Opcodes.I2B;
                break;
            case I32_STORE16:
            case I64_STORE16:
                width = 2; name = "putShort"; desc = "(Ljava/lang/Object;JS)V"; narrow = Opcodes.I2S;
                break;
            default:
                throw new IllegalStateException(op.name());
        }
        boolean valueWide = wide(value);
        mv.visitVarInsn(valueWide ? Opcodes.LSTORE : Opcodes.ISTORE, valueWide ? tmpLong : tmpInt);
        effectiveAddress(off, width);
        mv.visitVarInsn(valueWide ? Opcodes.LLOAD : Opcodes.ILOAD, valueWide ? tmpLong : tmpInt);
        if (valueWide && width < 8) {
            mv.visitInsn(Opcodes.L2I);
        }
        if (narrow >= 0) {
            mv.visitInsn(narrow);
        }
        unsafe(name, desc);
        if (MemoryInstance.STORE_BARRIER) {
            markDirty(0);
            if (width > 1) {
                markDirty(width - 1);
            }
        }
    }

    /**
     * Marks the page of byte {@code tmpAddr + plus} dirty, after the store's bound check passed. That
     * check makes the page index smaller than the memory's pages, and the dirty array has one byte
     * for every page of the backing array (MemoryInstance keeps them together, and compiled code
     * reloads them together), so the mark goes through Unsafe. With bastore, whose range check C2
     * cannot prove away, the barrier cost bzip2 +25% in compiled code (StoreBarrierBench, median
     * of 3 pairs, noisy); through Unsafe it is within the noise.
     */
    private void markDirty(int plus) {
        if (JitOps.DIRECT) {
            mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "U", "Lsun/misc/Unsafe;");
            mv.visitVarInsn(Opcodes.ALOAD, dirtySlot);
            mv.visitVarInsn(Opcodes.LLOAD, tmpAddr);
            if (plus != 0) {
                pushLong(mv, plus);
                mv.visitInsn(Opcodes.LADD);
            }
            push(mv, 16);
            mv.visitInsn(Opcodes.LUSHR);
            mv.visitFieldInsn(Opcodes.GETSTATIC, OPS, "BASE", "J");
            mv.visitInsn(Opcodes.LADD);
            mv.visitInsn(Opcodes.ICONST_1);
            unsafe("putByte", "(Ljava/lang/Object;JB)V");
            return;
        }
        mv.visitVarInsn(Opcodes.ALOAD, dirtySlot);
        mv.visitVarInsn(Opcodes.LLOAD, tmpAddr);
        mv.visitInsn(Opcodes.L2I);
        if (plus != 0) {
            push(mv, plus);
            mv.visitInsn(Opcodes.IADD);
        }
        push(mv, 16);
        mv.visitInsn(Opcodes.IUSHR);
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitInsn(Opcodes.BASTORE);
    }

    private void enterElse(Ctrl c) {
        mv.visitLabel(c.elseLabel);
        c.hasElse = true;
        c.unreachable = false;
        th = c.height;
        for (byte p : c.params) {
            pushType(p);
        }
    }

    private void end(Ctrl c) {
        ctrls.remove(ctrls.size() - 1);
        if (c.dead) {
            return;
        }
        if (c.kind == FUNCTION) {
            if (!c.unreachable) {
                emitReturn();
            }
            return;
        }
        boolean reachable = !c.unreachable || c.targeted || (c.kind == IF && !c.hasElse);
        if (c.kind == IF && !c.hasElse) {
            mv.visitLabel(c.elseLabel);
        }
        if (c.kind != LOOP) {
            mv.visitLabel(c.label);
        }
        if (reachable) {
            th = c.height;
            for (byte r : c.results) {
                pushType(r);
            }
        } else {
            markUnreachable(ctrls.get(ctrls.size() - 1));
        }
    }

    private void markUnreachable(Ctrl c) {
        c.unreachable = true;
        th = c.height;
    }

    /**
     * A taken branch to label {@code depth}, the operand stack as before the instruction except
     * for a consumed condition or index ({@code consumed}, written back if the safepoint stops).
     */
    private void branch(int depth, Long consumed) {
        Ctrl t = ctrls.get(ctrls.size() - 1 - depth);
        if (t.kind == OUTER) {
            if (t.outerKind == LOOP) {
                poll(Math.max(1, insIndex - t.loopStart + 1), consumed);
            }
            if (t.outerKind == FUNCTION) {
                emitReturn();
            } else {
                exitRegion(t.exitCode);
            }
            return;
        }
        if (t.kind == FUNCTION) {
            emitReturn();
            return;
        }
        int arity = t.kind == LOOP ? t.params.length : t.results.length;
        if (t.kind == LOOP) {
            poll(Math.max(1, insIndex - t.loopStart + 1), consumed);
        } else {
            t.targeted = true;
        }
        adjust(arity, th - arity - t.height);
        mv.visitJumpInsn(Opcodes.GOTO, t.label);
    }

    /** Keeps the top {@code keep} values and drops {@code drop} values under them (the type stack stays). */
    private void adjust(int keep, int drop) {
        if (drop == 0) {
            return;
        }
        for (int k = keep - 1; k >= 0; k--) {
            mv.visitVarInsn(storeOp(ts[th - keep + k]), spill(k));
        }
        for (int k = 0; k < drop; k++) {
            mv.visitInsn(wide(ts[th - keep - 1 - k]) ? Opcodes.POP2 : Opcodes.POP);
        }
        for (int k = 0; k < keep; k++) {
            mv.visitVarInsn(loadOp(ts[th - keep + k]), spill(k));
        }
    }

    /** A back-edge safepoint: costs {@code weight} fuel, stops on an empty tank or a freeze request. */
    private void poll(int weight, Long consumed) {
        Label slow = new Label();
        mv.visitVarInsn(Opcodes.LLOAD, fuelSlot);
        pushLong(mv, weight);
        mv.visitInsn(Opcodes.LSUB);
        mv.visitInsn(Opcodes.DUP2);
        mv.visitVarInsn(Opcodes.LSTORE, fuelSlot);
        mv.visitInsn(Opcodes.LCONST_0);
        mv.visitInsn(Opcodes.LCMP);
        mv.visitJumpInsn(Opcodes.IFLT, slow);
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "machine", "Lpm/runtime/interp/Machine;");
        mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/Machine", "freezeRequested", "Z");
        mv.visitJumpInsn(Opcodes.IFNE, slow);
        int height = th;
        byte[] types = Arrays.copyOf(ts, th);
        int at = offset;
        deferred.add(() -> {
            mv.visitLabel(slow);
            int n = height + (consumed == null ? 0 : 1);
            push(mv, n);
            mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
            mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
            if (consumed != null) {
                mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                push(mv, height);
                pushLong(mv, consumed);
                mv.visitInsn(Opcodes.LASTORE);
            }
            popInto(types, height);
            stop(at, tmpArray);
        });
    }

    /** Pops the {@code height} operands on the JVM stack into the first slots of the long[] in {@code tmpArray}. */
    private void popInto(byte[] types, int height) {
        for (int k = height - 1; k >= 0; k--) {
            toSlot(mv, types[k]);
            mv.visitVarInsn(Opcodes.LSTORE, tmpLong);
            mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
            push(mv, k);
            mv.visitVarInsn(Opcodes.LLOAD, tmpLong);
            mv.visitInsn(Opcodes.LASTORE);
        }
    }

    /** Throws the unwind of this frame stopped at {@code at} with the operands in local {@code array}. */
    private void stop(int at, int array) {
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitVarInsn(Opcodes.LLOAD, fuelSlot);
        push(mv, index);
        push(mv, at);
        mv.visitVarInsn(Opcodes.ALOAD, array);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "poll", "(" + CTX_DESC + "JII[J)L" + UNWIND + ";", false);
        mv.visitJumpInsn(Opcodes.GOTO, shared);
    }

    /**
     * Calls the region starting here (the operand stack is empty) and goes on where it left:
     * after its end, or by a label outside it, or returns what it returned.
     */
    private void callRegion(JitRegions.Region r) {
        List<Ctrl> around = new ArrayList<>();
        for (int p = 0; p < ctrls.size(); p++) {
            Ctrl c = ctrls.get(p);
            Ctrl o = new Ctrl();
            o.kind = OUTER;
            o.outerKind = c.kind;
            o.loopStart = c.loopStart;
            o.params = NONE;
            o.results = NONE;
            o.exitCode = p + 1;
            around.add(o);
        }
        int number = pending.size();
        pending.add(new Pending(r, around));
        storeFuel();
        mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        // no handler: an unwind out of the region has written this frame already
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "f" + index + "_" + number, REGION_DESC, false);
        if (resume) {
            // the dispatch's way into the region's resume copy, for a site inside the region
            Label called = new Label();
            Label entry = new Label();
            mv.visitJumpInsn(Opcodes.GOTO, called);
            mv.visitLabel(entry);
            mv.visitVarInsn(Opcodes.ALOAD, frameSlot);
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "r" + index + "_" + number, REGION_DESC, false);
            mv.visitLabel(called);
            List<AnnotatedInstruction> instructions = body.instructions();
            int base = instructions.get(0).address();
            regionEntries.add(entry);
            regionSpans.add(new int[] {instructions.get(r.start()).address() - base, instructions.get(r.end()).address() - base});
        }
        mv.visitVarInsn(Opcodes.ISTORE, tmpInt);
        loadFuel();
        reloadMemory();
        // exit codes: 0 its end, p + 1 the label at position p; only those it branches to lead anywhere,
        // so no other label gains an edge (the JVM's verifier would see a branch without its values)
        Label after = new Label();
        Label never = new Label();
        Label[] exits = new Label[ctrls.size() + 1];
        exits[0] = r.fallsThrough() ? after : never;
        for (int p = 0; p < ctrls.size(); p++) {
            Ctrl t = ctrls.get(p);
            if (p >= r.exits().length || !r.exits()[p]) {
                exits[p + 1] = never;
            } else if (t.kind == FUNCTION) {
                Label ret = new Label();
                exits[p + 1] = ret;
                deferred.add(() -> {
                    mv.visitLabel(ret);
                    pushRegionResults();
                    emitReturn();
                });
            } else {
                if (t.kind != LOOP) {
                    t.targeted = true;
                }
                exits[p + 1] = t.label;
            }
        }
        deferred.add(() -> {
            mv.visitLabel(never);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "unreachable", "()Ljava/lang/RuntimeException;", false);
            mv.visitInsn(Opcodes.ATHROW);
        });
        mv.visitVarInsn(Opcodes.ILOAD, tmpInt);
        mv.visitTableSwitchInsn(0, exits.length - 1, never, exits);
        skipUntil = r.end();
        if (r.fallsThrough()) {
            mv.visitLabel(after);
        } else {
            // the region ends in a branch or return: what follows is unreachable, as the dry run saw it
            markUnreachable(ctrls.get(ctrls.size() - 1));
        }
    }

    /** The function's results a region left in the context, on the stack. */
    private void pushRegionResults() {
        if (results.length == 1) {
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "regionValue", "J");
            fromSlot(mv, results[0]);
        } else if (results.length > 1) {
            for (int k = 0; k < results.length; k++) {
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "results", "[J");
                push(mv, k);
                mv.visitInsn(Opcodes.LALOAD);
                fromSlot(mv, results[k]);
            }
        }
    }

    /** Leaves a region's method: the locals it wrote back to the function's array, then the exit code. */
    private void exitRegion(int exitCode) {
        boolean[] written = region.written();
        for (int l = 0; l < written.length; l++) {
            if (written[l]) {
                storeToFrame(l);
            }
        }
        storeFuel();
        counters(0, -frameWeight);
        push(mv, exitCode);
        mv.visitInsn(Opcodes.IRETURN);
    }

    private void emitReturn() {
        int n = results.length;
        if (region != null && n == 1) {
            toSlot(mv, results[0]);
            mv.visitVarInsn(Opcodes.LSTORE, tmpLong);
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitVarInsn(Opcodes.LLOAD, tmpLong);
            mv.visitFieldInsn(Opcodes.PUTFIELD, CTX, "regionValue", "J");
        }
        if (n > 1) {
            push(mv, n);
            mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
            mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
            for (int k = n - 1; k >= 0; k--) {
                toSlot(mv, results[k]);
                mv.visitVarInsn(Opcodes.LSTORE, tmpLong);
                mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                push(mv, k);
                mv.visitVarInsn(Opcodes.LLOAD, tmpLong);
                mv.visitInsn(Opcodes.LASTORE);
            }
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
            mv.visitFieldInsn(Opcodes.PUTFIELD, CTX, "results", "[J");
        }
        if (region != null) {
            exitRegion(1); // the function's label is the first outside
            return;
        }
        storeFuel();
        counters(-1, -frameWeight);
        mv.visitInsn(n != 1 ? Opcodes.RETURN : wide(results[0]) ? Opcodes.LRETURN : Opcodes.IRETURN);
    }

    /** Spills the whole operand stack, polls, and leaves the operands under the arguments reloaded. */
    private byte[] callPrologue(int n, int below) {
        byte[] types = Arrays.copyOf(ts, n);
        for (int k = n - 1; k >= 0; k--) {
            mv.visitVarInsn(storeOp(types[k]), spill(k));
        }
        Label slow = new Label();
        mv.visitVarInsn(Opcodes.LLOAD, fuelSlot);
        mv.visitInsn(Opcodes.LCONST_1);
        mv.visitInsn(Opcodes.LSUB);
        mv.visitInsn(Opcodes.DUP2);
        mv.visitVarInsn(Opcodes.LSTORE, fuelSlot);
        mv.visitInsn(Opcodes.LCONST_0);
        mv.visitInsn(Opcodes.LCMP);
        mv.visitJumpInsn(Opcodes.IFLT, slow);
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "mustStop", "(" + CTX_DESC + ")Z", false);
        mv.visitJumpInsn(Opcodes.IFNE, slow);
        int at = offset;
        deferred.add(() -> {
            mv.visitLabel(slow);
            spilledArray(types, n);
            mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
            stop(at, tmpArray);
        });
        for (int k = 0; k < below; k++) {
            mv.visitVarInsn(loadOp(types[k]), spill(k));
        }
        return types;
    }

    /** Pushes a new long[] of the spilled operands 0..n-1 as slots. */
    private void spilledArray(byte[] types, int n) {
        push(mv, n);
        mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
        for (int k = 0; k < n; k++) {
            mv.visitInsn(Opcodes.DUP);
            push(mv, k);
            mv.visitVarInsn(loadOp(types[k]), spill(k));
            toSlot(mv, types[k]);
            mv.visitInsn(Opcodes.LASTORE);
        }
    }

    /** The handler of a call site: records this frame and goes on unwinding. */
    private Label handler(byte[] types, int n, int below) {
        Label handler = new Label();
        int at = offset;
        deferred.add(() -> {
            mv.visitLabel(handler);
            mv.visitInsn(Opcodes.DUP);
            push(mv, index);
            push(mv, at);
            spilledArray(types, n);
            push(mv, below);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, UNWIND, "caller", "(II[JI)V", false);
            mv.visitJumpInsn(Opcodes.GOTO, shared);
        });
        return handler;
    }

    private void call(int callee) {
        int t = jc.types.functionTypes[callee];
        byte[] cp = jc.types.typeParams[t];
        byte[] cr = jc.types.typeResults[t];
        int np = cp.length;
        int n = th;
        int below = n - np;
        byte[] types = callPrologue(n, below);
        Label start = new Label();
        Label end = new Label();
        Label handler = handler(types, n, below);
        mv.visitTryCatchBlock(start, end, handler, UNWIND);
        if (jc.isCompiled(callee)) {
            for (int k = below; k < n; k++) {
                mv.visitVarInsn(loadOp(types[k]), spill(k));
            }
            storeFuel();
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitLabel(start);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "f" + callee, jc.functionDescriptor(callee), false);
            mv.visitLabel(end);
            loadFuel();
            multiResults(cr);
        } else {
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            push(mv, callee);
            push(mv, np);
            mv.visitIntInsn(Opcodes.NEWARRAY, Opcodes.T_LONG);
            for (int k = 0; k < np; k++) {
                mv.visitInsn(Opcodes.DUP);
                push(mv, k);
                mv.visitVarInsn(loadOp(types[below + k]), spill(below + k));
                toSlot(mv, types[below + k]);
                mv.visitInsn(Opcodes.LASTORE);
            }
            storeFuel();
            mv.visitLabel(start);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "callFunction", "(" + CTX_DESC + "I[J)[J", false);
            mv.visitLabel(end);
            if (cr.length == 0) {
                mv.visitInsn(Opcodes.POP);
            } else {
                mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
                for (int k = 0; k < cr.length; k++) {
                    mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                    push(mv, k);
                    mv.visitInsn(Opcodes.LALOAD);
                    fromSlot(mv, cr[k]);
                }
            }
        }
        reloadMemory();
        th = below;
        for (byte r : cr) {
            pushType(r);
        }
    }

    private void callIndirect(int typeIndex, int table) {
        byte[] cp = jc.types.typeParams[typeIndex];
        byte[] cr = jc.types.typeResults[typeIndex];
        int np = cp.length;
        int n = th;
        int below = n - np - 1;
        byte[] types = callPrologue(n, below);
        Label start = new Label();
        Label end = new Label();
        Label handler = handler(types, n, below);
        mv.visitTryCatchBlock(start, end, handler, UNWIND);
        for (int k = below; k < n - 1; k++) {
            mv.visitVarInsn(loadOp(types[k]), spill(k));
        }
        mv.visitVarInsn(Opcodes.ILOAD, spill(n - 1));
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        push(mv, typeIndex);
        push(mv, table);
        storeFuel();
        mv.visitLabel(start);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "indirect", "(I" + CTX_DESC + "II)I", false);
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        String name = jc.dispatcher(typeIndex);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, name, descriptor(cp, cr, true), false);
        mv.visitLabel(end);
        loadFuel();
        multiResults(cr);
        reloadMemory();
        th = below;
        for (byte r : cr) {
            pushType(r);
        }
    }

    private void multiResults(byte[] cr) {
        if (cr.length > 1) {
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "results", "[J");
            mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
            for (int k = 0; k < cr.length; k++) {
                mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                push(mv, k);
                mv.visitInsn(Opcodes.LALOAD);
                fromSlot(mv, cr[k]);
            }
        }
    }

    private byte[] blockParams(long bt) {
        if (bt == 0x40 || ValType.isValid(bt)) {
            return NONE;
        }
        return jc.types.typeParams[(int) bt];
    }

    private byte[] blockResults(long bt) {
        if (bt == 0x40) {
            return NONE;
        }
        if (ValType.isValid(bt)) {
            return new byte[] {ValueTypes.of(ValType.builder().fromId(bt).build())};
        }
        return jc.types.typeResults[(int) bt];
    }

    private static byte heapType(long code) {
        if (code == ValType.TypeIdxCode.EXTERN.code() || code == ValType.ID.ExternRef) {
            return ValueTypes.EXTERNREF;
        }
        return ValueTypes.FUNCREF;
    }
}
