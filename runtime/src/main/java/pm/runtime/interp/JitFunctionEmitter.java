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
 * blocks to labels, lays out the method's locals, makes calls and calls of regions, and hands
 * the rest to its parts: {@link JitNumericEmitter} (inline integer instructions),
 * {@link JitMemoryEmitter} (loads and stores), {@link JitSafepoints} (polls, stops and call-site
 * handlers, placed after the body) and {@link JitResumeSites} (the resume copy's entry switch).
 * One instance per method.
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

    private static final byte[] NONE = new byte[0];

    private final JitCompiler jc;
    private final ClassWriter cw;
    private final int index;
    private final CompiledFunction code;
    private final FunctionBody body;
    private final byte[] params;
    private final byte[] results;
    private MethodVisitor mv;
    private JitNumericEmitter numeric;
    private JitMemoryEmitter memory;
    private final ArrayList<Ctrl> ctrls = new ArrayList<>();
    /** Code placed after the body: safepoint slow paths, traps and call-site handlers. */
    private final List<Runnable> deferred = new ArrayList<>();

    private final Label shared = new Label();
    private final JitTypeStack typeStack = new JitTypeStack();
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

    /** Whether the function is split into regions (its locals then live in a long[]). */
    boolean split() {
        return frameLocals;
    }
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

    private JitResumeSites sites;
    private JitSafepoints safepoints;
    /** What each store marks, in the marking variant (a region's method gets its function's). */
    private JitStoreMarks storeMarks;

    /** The offsets of the function's resume sites, its regions' included, in body order (the site numbers). */
    int[] siteOffsets() {
        return sites.offsets();
    }

    JitFunctionEmitter(JitCompiler jc, ClassWriter cw, int index, boolean resume) {
        this(jc, cw, index, resume, null, List.of(), 0, false);
    }

    /** {@code measuring}: a dry run that only notes the operand stack's height before each instruction. */
    private JitFunctionEmitter(
            JitCompiler jc,
            ClassWriter cw,
            int index,
            boolean resume,
            JitRegions.Region region,
            List<Ctrl> outer,
            int regionNumber,
            boolean measuring) {
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
            JitFunctionEmitter dry =
                    new JitFunctionEmitter(jc, new ClassWriter(0), index, false, null, List.of(), 0, true);
            dry.emit();
            this.regions = JitRegions.plan(body.instructions(), jc.types, code, dry.heights, jc.regionLimit);
        } else {
            this.regions = Map.of();
        }
        this.heights = measuring ? new int[body.instructions().size()] : null;
        if (region == null && !measuring && jc.storeBarrier) {
            java.util.Set<Integer> boundaries = new java.util.HashSet<>();
            for (JitRegions.Region r : regions.values()) {
                boundaries.add(r.start());
                boundaries.add(r.end() + 1);
            }
            this.storeMarks = JitStoreMarks.plan(body.instructions(), boundaries);
        }
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

    int emit() {
        if (region != null) {
            mv = jc.cwMethod(cw, (resume ? "r" : "f") + index + "_" + regionNumber, REGION_DESC);
        } else {
            mv = jc.cwMethod(cw, (resume ? "r" : "f") + index, jc.functionDescriptor(index));
        }
        mv.visitCode();
        numeric = new JitNumericEmitter(mv, typeStack, compact, tmpLong);
        sites = new JitResumeSites(mv, resume);
        safepoints = new JitSafepoints(
                mv,
                typeStack,
                deferred,
                index,
                shared,
                new JitSafepoints.Slots(ctxSlot, fuelSlot, tmpArray, tmpLong, spillBase));
        memory = new JitMemoryEmitter(
                mv,
                typeStack,
                compact,
                jc.storeBarrier,
                deferred,
                new JitMemoryEmitter.Slots(memSlot, dirtySlot, sizeSlot, tmpAddr, tmpLong, tmpInt));
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
                heights[insIndex] = live ? typeStack.th : -1;
            }
            if (live && typeStack.th == 0 && regions.containsKey(insIndex)) {
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
            deferred.get(i).run();
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
            r.storeMarks = storeMarks;
            size = Math.max(size, r.emit());
            sites.add(r.sites);
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
            case IF: {
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
        sites.emitSwitch(jc.sites(index), ctxSlot, tmpArray);
    }

    /** A safepoint instruction (branch, call or bulk instruction): a resume site, numbered in body order. */
    private void site() {
        sites.site(offset, typeStack);
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
            case IF: {
                if (op == OpCode.IF) {
                    typeStack.pop();
                }
                Ctrl c = new Ctrl();
                long bt = ins.operand(0);
                c.params = blockParams(bt);
                c.results = blockResults(bt);
                c.height = typeStack.th - c.params.length;
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
            case BR_IF: {
                typeStack.pop();
                Label skip = new Label();
                mv.visitJumpInsn(Opcodes.IFEQ, skip);
                branch((int) ins.operand(0), 1L);
                mv.visitLabel(skip);
                break;
            }
            case BR_TABLE: {
                typeStack.pop();
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
                int height = typeStack.th;
                for (Map.Entry<Integer, Label> e : byDepth.entrySet()) {
                    typeStack.th = height;
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
                mv.visitInsn(wide(typeStack.pop()) ? Opcodes.POP2 : Opcodes.POP);
                break;
            case SELECT:
            case SELECT_T: {
                typeStack.pop();
                typeStack.pop();
                byte t = typeStack.ts[typeStack.th - 1];
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
            case LOCAL_GET: {
                int l = (int) ins.operand(0);
                getLocal(l);
                typeStack.push(code.localTypes[l]);
                break;
            }
            case LOCAL_SET: {
                int l = (int) ins.operand(0);
                setLocal(l);
                typeStack.pop();
                break;
            }
            case LOCAL_TEE: {
                int l = (int) ins.operand(0);
                mv.visitInsn(wide(code.localTypes[l]) ? Opcodes.DUP2 : Opcodes.DUP);
                setLocal(l);
                break;
            }
            case GLOBAL_GET: {
                int g = (int) ins.operand(0);
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "globals", "[Lpm/runtime/interp/GlobalInstance;");
                push(mv, g);
                mv.visitInsn(Opcodes.AALOAD);
                mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/GlobalInstance", "value", "J");
                fromSlot(mv, jc.types.globalTypes[g]);
                typeStack.push(jc.types.globalTypes[g]);
                break;
            }
            case GLOBAL_SET:
                toSlot(mv, typeStack.pop());
                runtime("globalSet", "(J" + CTX_DESC + "I)V", (int) ins.operand(0));
                break;
            case TABLE_GET:
                typeStack.pop();
                runtime("tableGet", "(I" + CTX_DESC + "I)J", (int) ins.operand(0));
                typeStack.push(jc.types.tableTypes[(int) ins.operand(0)]);
                break;
            case TABLE_SET:
                typeStack.pop();
                typeStack.pop();
                runtime("tableSet", "(IJ" + CTX_DESC + "I)V", (int) ins.operand(0));
                break;
            case MEMORY_SIZE:
                mv.visitVarInsn(Opcodes.ILOAD, sizeSlot);
                push(mv, 16);
                mv.visitInsn(Opcodes.IUSHR);
                typeStack.push(ValueTypes.I32);
                break;
            case MEMORY_GROW:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "memoryGrow", "(I" + CTX_DESC + ")I", false);
                reloadMemory();
                break;
            case I32_CONST:
                push(mv, (int) ins.operand(0));
                typeStack.push(ValueTypes.I32);
                break;
            case F32_CONST:
                push(mv, (int) ins.operand(0));
                typeStack.push(ValueTypes.F32);
                break;
            case I64_CONST:
                pushLong(mv, ins.operand(0));
                typeStack.push(ValueTypes.I64);
                break;
            case F64_CONST:
                pushLong(mv, ins.operand(0));
                typeStack.push(ValueTypes.F64);
                break;
            case REF_NULL:
                pushLong(mv, ValueTypes.NULL_REF);
                typeStack.push(heapType(ins.operand(0)));
                break;
            case REF_IS_NULL:
                typeStack.pop();
                pushLong(mv, ValueTypes.NULL_REF);
                mv.visitInsn(Opcodes.LCMP);
                numeric.bool(Opcodes.IFEQ);
                typeStack.push(ValueTypes.I32);
                break;
            case REF_FUNC:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                push(mv, (int) ins.operand(0));
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "refFunc", "(" + CTX_DESC + "I)J", false);
                typeStack.push(ValueTypes.FUNCREF);
                break;
            case I32_WRAP_I64:
                mv.visitInsn(Opcodes.L2I);
                typeStack.pop();
                typeStack.push(ValueTypes.I32);
                break;
            case I32_REINTERPRET_F32:
                typeStack.pop();
                typeStack.push(ValueTypes.I32);
                break;
            case F32_REINTERPRET_I32:
                typeStack.pop();
                typeStack.push(ValueTypes.F32);
                break;
            case I64_REINTERPRET_F64:
                typeStack.pop();
                typeStack.push(ValueTypes.I64);
                break;
            case F64_REINTERPRET_I64:
                typeStack.pop();
                typeStack.push(ValueTypes.F64);
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
                typeStack.th -= 2;
                runtime("tableGrow", "(JI" + CTX_DESC + "I)I", (int) ins.operand(0));
                typeStack.push(ValueTypes.I32);
                break;
            case TABLE_SIZE:
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                push(mv, (int) ins.operand(0));
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "tableSize", "(" + CTX_DESC + "I)I", false);
                typeStack.push(ValueTypes.I32);
                break;
            case TABLE_FILL:
                bulk("tableFill", "(IJI" + CTX_DESC + "I)Z", (int) ins.operand(0));
                break;
            default:
                if (NumericOps.isLoad(op)) {
                    memory.load(op, ins.operand(1));
                } else if (NumericOps.isStore(op)) {
                    memory.store(
                            op,
                            ins.operand(1),
                            storeMarks == null
                                    ? JitStoreMarks.own(op)
                                    : storeMarks.marks(insIndex, JitStoreMarks.width(op)));
                } else if (!numeric.inline(op)) {
                    String name = op.name();
                    int arity = NumericOps.arity(name);
                    byte operand = typeStack.ts[typeStack.th - 1];
                    typeStack.th -= arity;
                    byte result = NumericOps.resultType(name);
                    String d =
                            "(" + jvm(operand) + (arity == 2 ? String.valueOf(jvm(operand)) : "") + ")" + jvm(result);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, OPS, name.toLowerCase(java.util.Locale.ROOT), d, false);
                    typeStack.push(result);
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
        typeStack.th -= 3;
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        for (int immediate : immediates) {
            push(mv, immediate);
        }
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, name, desc, false);
        Label slow = new Label();
        mv.visitJumpInsn(Opcodes.IFNE, slow);
        safepoints.bulkStop(slow, offset);
    }

    private void enterElse(Ctrl c) {
        mv.visitLabel(c.elseLabel);
        c.hasElse = true;
        c.unreachable = false;
        typeStack.th = c.height;
        for (byte p : c.params) {
            typeStack.push(p);
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
            typeStack.th = c.height;
            for (byte r : c.results) {
                typeStack.push(r);
            }
        } else {
            markUnreachable(ctrls.get(ctrls.size() - 1));
        }
    }

    private void markUnreachable(Ctrl c) {
        c.unreachable = true;
        typeStack.th = c.height;
    }

    /**
     * A taken branch to label {@code depth}, the operand stack as before the instruction except
     * for a consumed condition or index ({@code consumed}, written back if the safepoint stops).
     */
    private void branch(int depth, Long consumed) {
        Ctrl t = ctrls.get(ctrls.size() - 1 - depth);
        if (t.kind == OUTER) {
            if (t.outerKind == LOOP) {
                safepoints.poll(Math.max(1, insIndex - t.loopStart + 1), consumed, offset);
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
            safepoints.poll(Math.max(1, insIndex - t.loopStart + 1), consumed, offset);
        } else {
            t.targeted = true;
        }
        adjust(arity, typeStack.th - arity - t.height);
        mv.visitJumpInsn(Opcodes.GOTO, t.label);
    }

    /** Keeps the top {@code keep} values and drops {@code drop} values under them (the type stack stays). */
    private void adjust(int keep, int drop) {
        if (drop == 0) {
            return;
        }
        for (int k = keep - 1; k >= 0; k--) {
            mv.visitVarInsn(storeOp(typeStack.ts[typeStack.th - keep + k]), spill(k));
        }
        for (int k = 0; k < drop; k++) {
            mv.visitInsn(wide(typeStack.ts[typeStack.th - keep - 1 - k]) ? Opcodes.POP2 : Opcodes.POP);
        }
        for (int k = 0; k < keep; k++) {
            mv.visitVarInsn(loadOp(typeStack.ts[typeStack.th - keep + k]), spill(k));
        }
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
            sites.regionEntry(
                    entry,
                    instructions.get(r.start()).address() - base,
                    instructions.get(r.end()).address() - base);
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

    private void call(int callee) {
        int t = jc.types.functionTypes[callee];
        byte[] cp = jc.types.typeParams[t];
        byte[] cr = jc.types.typeResults[t];
        int np = cp.length;
        int n = typeStack.th;
        int below = n - np;
        byte[] types = safepoints.callPrologue(n, below, offset);
        Label start = new Label();
        Label end = new Label();
        Label handler = safepoints.handler(types, n, below, offset);
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
        typeStack.th = below;
        for (byte r : cr) {
            typeStack.push(r);
        }
    }

    private void callIndirect(int typeIndex, int table) {
        byte[] cp = jc.types.typeParams[typeIndex];
        byte[] cr = jc.types.typeResults[typeIndex];
        int np = cp.length;
        int n = typeStack.th;
        int below = n - np - 1;
        byte[] types = safepoints.callPrologue(n, below, offset);
        Label start = new Label();
        Label end = new Label();
        Label handler = safepoints.handler(types, n, below, offset);
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
        typeStack.th = below;
        for (byte r : cr) {
            typeStack.push(r);
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
