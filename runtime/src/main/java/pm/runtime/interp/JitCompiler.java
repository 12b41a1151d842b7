package pm.runtime.interp;

import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodTooLargeException;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The compiled tier: translates a module's functions to JVM bytecode with ASM, one hidden class
 * per module, one static method per function, so HotSpot compiles guest code.
 *
 * <p>Representation. The operand stack is the JVM operand stack and wasm locals are JVM locals:
 * i32 and f32 (its bits) as {@code int}, i64, f64 (its bits) and references as {@code long}, so
 * float values keep their exact bits. A function becomes {@code static T f<i>(T... params,
 * JitContext ctx)} ({@code void} for no result; more than one result goes through
 * {@code ctx.results}). Frames written on a freeze hold the interpreter's 64-bit slots. Memory is the instance's array, kept with
 * its size and dirty bytes in JVM locals, reloaded after calls and grows. Direct calls to compiled
 * functions are {@code invokestatic}; call_indirect goes through one dispatcher per signature.
 *
 * <p>Safepoints are where the interpreter has them: branches to a loop (fuel decremented by the
 * loop's length, freeze flag read) and calls (fuel, freeze flag, compiled depth). A stop throws
 * {@link JitUnwind}; every call site has a handler that writes its frame at the WebAssembly level
 * (function, offset of the call, locals, operands spilled to JVM locals before the call) and
 * rethrows, and {@link JitBridge#install} lays the frames out for the interpreter, which resumes
 * them. On a later run the innermost of them re-enters compiled code through its function's
 * resume copy {@code r<i>} ({@link JitBridge#resume}), the same body with an entry switch to every
 * safepoint. Compiled code calls what it cannot call directly (a function left interpreted, another
 * instance's function) by unwinding to the interpreter ("deoptimising") before that call.
 */
final class JitCompiler {
    static final String CTX = "pm/runtime/interp/JitContext";
    static final String CTX_DESC = "L" + CTX + ";";
    static final String OPS = "pm/runtime/interp/JitOps";
    static final String RT = "pm/runtime/interp/JitRuntime";
    static final String UNWIND = "pm/runtime/interp/JitUnwind";
    static final String BASE = "pm/runtime/interp/JitCode";
    static final String NAME = "pm/runtime/interp/JitCode$Module";

    /**
     * Largest method HotSpot compiles when {@code DontCompileHugeMethods} is on (the default): a
     * larger generated method would run in the JVM's bytecode interpreter, slower than ours, so
     * such functions stay in our interpreter unless the flag is off.
     */
    static final int HUGE_METHOD = 8000;

    static final boolean COMPILE_HUGE = !hugeMethodsSkipped();

    /** The compiled code of a module and which of its defined functions it holds. */
    static final class JitModule {
        final JitCode code;
        final boolean[] compiled; // by function index
        final int classBytes;
        /** By function index: the offsets of its resume sites in site order, or null if it has no resume copy. */
        final int[][] sites;

        JitModule(JitCode code, boolean[] compiled, int classBytes, int[][] sites) {
            this.code = code;
            this.compiled = compiled;
            this.classBytes = classBytes;
            this.sites = sites;
        }

        /** The resume site of function {@code f} at instruction {@code offset}, or -1. */
        int site(int f, int offset) {
            int[] s = sites[f];
            if (s == null) {
                return -1;
            }
            for (int i = 0; i < s.length; i++) {
                if (s[i] == offset) {
                    return i;
                }
            }
            return -1;
        }
    }

    private final CompiledModule module;
    private final ModuleTypes types;
    private final Set<Integer> excluded;
    private final Map<String, List<Integer>> bySignature = new LinkedHashMap<>();
    private final Set<String> dispatchersUsed = new HashSet<>();
    private final Set<Integer> tooLarge = new HashSet<>();
    /** Functions emitted compactly (helper calls for memory and comparisons) because the fast form passes 64 KiB. */
    private final Set<Integer> compact;
    private final Set<Integer> newlyCompact = new HashSet<>();
    /** Functions with no resume copy: it would not fit a JVM method. */
    private final Set<Integer> noResume;
    private final int[][] sites;

    private JitCompiler(CompiledModule module, Set<Integer> excluded) {
        this.module = module;
        this.types = module.types;
        this.excluded = excluded;
        this.compact = new HashSet<>();
        this.noResume = new HashSet<>();
        this.sites = new int[module.functionCount()][];
    }

    private JitCompiler(CompiledModule module, Set<Integer> excluded, Set<Integer> compact, Set<Integer> noResume) {
        this(module, excluded);
        this.compact.addAll(compact);
        this.noResume.addAll(noResume);
    }

    /** Whether function {@code f} gets a resume copy: compiled, with a loop, and small enough. */
    boolean resumable(int f) {
        return isCompiled(f) && !noResume.contains(f) && sites[f] != null;
    }

    /** Compiles what it can of {@code module}; null if nothing could be compiled. */
    static JitModule compile(CompiledModule module) {
        Set<Integer> excluded = new HashSet<>();
        for (int i = 0; i < module.functions.length; i++) {
            if (!compilable(module, module.importedFunctions + i)) {
                excluded.add(module.importedFunctions + i);
            }
        }
        Set<Integer> compact = new HashSet<>();
        Set<Integer> noResume = new HashSet<>();
        while (true) {
            JitCompiler c = new JitCompiler(module, excluded, compact, noResume);
            byte[] bytes;
            try {
                bytes = c.generate();
            } catch (MethodTooLargeException e) {
                if (e.getMethodName().startsWith("r")) {
                    noResume.add(functionOf("f" + e.getMethodName().substring(1)));
                    continue;
                }
                int f = functionOf(e.getMethodName());
                if (f >= 0 && !compact.contains(f)) {
                    compact.add(f);
                    continue;
                }
                if (f < 0 || excluded.contains(f)) {
                    log(module, "a dispatcher is too large");
                    return null; // a dispatcher or entry: a module this large stays interpreted
                }
                excluded.add(f);
                continue;
            } catch (org.objectweb.asm.ClassTooLargeException e) {
                log(module, "the class is too large");
                return null;
            }
            if (!c.tooLarge.isEmpty() || !c.newlyCompact.isEmpty()) {
                excluded.addAll(c.tooLarge);
                compact.addAll(c.newlyCompact);
                continue;
            }
            try {
                MethodHandles.Lookup l = MethodHandles.lookup().defineHiddenClass(bytes, true);
                JitCode code = (JitCode) l.findConstructor(l.lookupClass(), MethodType.methodType(void.class)).invoke();
                boolean[] compiled = new boolean[module.functionCount()];
                for (int i = module.importedFunctions; i < compiled.length; i++) {
                    compiled[i] = !excluded.contains(i);
                }
                if (Boolean.getBoolean("pm.runtime.jitLog")) {
                    System.err.printf("jit: module of %d functions: %d compiled, %d interpreted %s, %d class bytes%n",
                            module.functions.length, module.functions.length - excluded.size(), excluded.size(), excluded,
                            bytes.length);
                }
                return new JitModule(code, compiled, bytes.length, c.sites);
            } catch (Throwable t) {
                throw new IllegalStateException("generated code for module does not load: " + t, t);
            }
        }
    }

    private static void log(CompiledModule module, String why) {
        if (Boolean.getBoolean("pm.runtime.jitLog")) {
            System.err.println("jit: module of " + module.functions.length + " functions stays interpreted: " + why);
        }
    }

    /** For tests: the class file the module compiles to. */
    static byte[] classFile(CompiledModule module) {
        Set<Integer> excluded = new HashSet<>();
        for (int i = 0; i < module.functions.length; i++) {
            if (!compilable(module, module.importedFunctions + i)) {
                excluded.add(module.importedFunctions + i);
            }
        }
        return new JitCompiler(module, excluded).generate();
    }

    private static int functionOf(String method) {
        if (method.startsWith("f")) {
            try {
                return Integer.parseInt(method.substring(1));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** Functions with instructions this tier does not translate (SIMD and other proposals) stay interpreted. */
    private static boolean compilable(CompiledModule module, int index) {
        FunctionBody body = module.wasm.codeSection().getFunctionBody(index - module.importedFunctions);
        for (Instruction ins : body.instructions()) {
            if (!translatable(ins.opcode())) {
                return false;
            }
        }
        return true;
    }

    private static boolean translatable(OpCode op) {
        switch (op) {
            case UNREACHABLE: case NOP: case BLOCK: case LOOP: case IF: case ELSE: case END: case BR: case BR_IF:
            case BR_TABLE: case RETURN: case CALL: case CALL_INDIRECT: case DROP: case SELECT: case SELECT_T:
            case LOCAL_GET: case LOCAL_SET: case LOCAL_TEE: case GLOBAL_GET: case GLOBAL_SET: case TABLE_GET:
            case TABLE_SET: case MEMORY_SIZE: case MEMORY_GROW: case I32_CONST: case I64_CONST: case F32_CONST:
            case F64_CONST: case REF_NULL: case REF_IS_NULL: case REF_FUNC: case I32_REINTERPRET_F32:
            case I32_WRAP_I64: case F32_REINTERPRET_I32: case I64_REINTERPRET_F64: case F64_REINTERPRET_I64:
            case MEMORY_INIT: case DATA_DROP: case MEMORY_COPY: case MEMORY_FILL: case TABLE_INIT: case ELEM_DROP:
            case TABLE_COPY: case TABLE_GROW: case TABLE_SIZE: case TABLE_FILL:
                return true;
            default:
                return NumericOps.opFor(op) >= 0;
        }
    }

    // ------------------------------------------------------------------ class

    private byte[] generate() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
            @Override
            protected String getCommonSuperClass(String a, String b) {
                return "java/lang/Object";
            }
        };
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, NAME, null, BASE, null);
        MethodVisitor init = cw.visitMethod(0, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, BASE, "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        int first = module.importedFunctions;
        int count = module.functionCount();
        for (int i = first; i < count; i++) {
            if (!excluded.contains(i)) {
                bySignature.computeIfAbsent(signature(types.functionTypes[i]), k -> new ArrayList<>()).add(i);
            }
        }
        for (int i = first; i < count; i++) {
            if (excluded.contains(i)) {
                continue;
            }
            FunctionEmitter normal = new FunctionEmitter(this, cw, i, false);
            int size = normal.emit();
            sites[i] = normal.hasLoop && (COMPILE_HUGE || size <= HUGE_METHOD) ? normal.siteOffsets() : null;
            if (size > HUGE_METHOD && !COMPILE_HUGE && !compact.contains(i)) {
                newlyCompact.add(i); // the compact form may pass under HotSpot's limit
            } else if (size > HUGE_METHOD && !COMPILE_HUGE) {
                tooLarge.add(i);
            } else if (size > 0xFFFF && !compact.contains(i)) {
                newlyCompact.add(i); // about to fail the JVM's limit: try the compact form
            }
        }
        if (!tooLarge.isEmpty() || !newlyCompact.isEmpty()) {
            return null;
        }
        for (int i = first; i < count; i++) {
            if (resumable(i)) {
                new FunctionEmitter(this, cw, i, true).emit();
            }
        }
        for (String sig : dispatchersUsed) {
            emitDispatcher(cw, sig);
        }
        emitInvoke(cw);
        cw.visitEnd();
        return cw.toByteArray();
    }

    boolean isCompiled(int function) {
        return function >= module.importedFunctions && !excluded.contains(function);
    }

    String signature(int typeIndex) {
        return Arrays.toString(types.typeParams[typeIndex]) + Arrays.toString(types.typeResults[typeIndex]);
    }

    /** The name of the dispatcher for call_indirect of {@code typeIndex}, noted to be generated. */
    String dispatcher(int typeIndex) {
        String sig = signature(typeIndex);
        dispatchersUsed.add(sig);
        return "d" + Integer.toHexString(sig.hashCode()) + "_" + typeIndex(sig);
    }

    private int typeIndex(String sig) {
        for (int t = 0; t < types.typeParams.length; t++) {
            if (signature(t).equals(sig)) {
                return t;
            }
        }
        throw new IllegalStateException(sig);
    }

    static boolean wide(byte type) {
        return !(type == ValueTypes.I32 || type == ValueTypes.F32);
    }

    static char jvm(byte type) {
        return wide(type) ? 'J' : 'I';
    }

    static String descriptor(byte[] params, byte[] results, boolean indexParam) {
        StringBuilder d = new StringBuilder("(");
        for (byte p : params) {
            d.append(jvm(p));
        }
        if (indexParam) {
            d.append('I');
        }
        d.append(CTX_DESC).append(')');
        d.append(results.length == 1 ? jvm(results[0]) : 'V');
        return d.toString();
    }

    static int size(byte[] types) {
        int n = 0;
        for (byte t : types) {
            n += wide(t) ? 2 : 1;
        }
        return n;
    }

    static int loadOp(byte type) {
        return wide(type) ? Opcodes.LLOAD : Opcodes.ILOAD;
    }

    static int storeOp(byte type) {
        return wide(type) ? Opcodes.LSTORE : Opcodes.ISTORE;
    }

    /** Widens an int on the stack to a 64-bit slot (an i32 or f32 read back through (int)). */
    static void toSlot(MethodVisitor mv, byte type) {
        if (!wide(type)) {
            mv.visitInsn(Opcodes.I2L);
        }
    }

    static void fromSlot(MethodVisitor mv, byte type) {
        if (!wide(type)) {
            mv.visitInsn(Opcodes.L2I);
        }
    }

    String functionDescriptor(int function) {
        int t = types.functionTypes[function];
        return descriptor(types.typeParams[t], types.typeResults[t], false);
    }

    private void emitDispatcher(ClassWriter cw, String sig) {
        int t = typeIndex(sig);
        byte[] params = types.typeParams[t];
        byte[] results = types.typeResults[t];
        String name = "d" + Integer.toHexString(sig.hashCode()) + "_" + t;
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_STATIC | Opcodes.ACC_PRIVATE, name, descriptor(params, results, true), null, null);
        mv.visitCode();
        List<Integer> targets = bySignature.getOrDefault(sig, List.of());
        int indexSlot = size(params);
        int ctxSlot = indexSlot + 1;
        Label fallback = new Label();
        int[] keys = targets.stream().mapToInt(Integer::intValue).toArray();
        Label[] labels = new Label[keys.length];
        for (int i = 0; i < keys.length; i++) {
            labels[i] = new Label();
        }
        mv.visitVarInsn(Opcodes.ILOAD, indexSlot);
        mv.visitLookupSwitchInsn(fallback, keys, labels);
        for (int i = 0; i < keys.length; i++) {
            mv.visitLabel(labels[i]);
            int slot = 0;
            for (byte p : params) {
                mv.visitVarInsn(loadOp(p), slot);
                slot += wide(p) ? 2 : 1;
            }
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "f" + keys[i], functionDescriptor(keys[i]), false);
            mv.visitInsn(results.length != 1 ? Opcodes.RETURN : wide(results[0]) ? Opcodes.LRETURN : Opcodes.IRETURN);
        }
        mv.visitLabel(fallback);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "notCompiled", "()Ljava/lang/RuntimeException;", false);
        mv.visitInsn(Opcodes.ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** {@code invoke(fn, s, base, ctx)}: a switch over chunks of 256 functions, each a switch over its functions. */
    private void emitInvoke(ClassWriter cw) {
        int count = module.functionCount();
        int chunks = (count + 255) >> 8;
        MethodVisitor mv = cw.visitMethod(0, "invoke", "(I[JI" + CTX_DESC + ")I", null, null);
        mv.visitCode();
        Label bad = new Label();
        Label[] labels = new Label[chunks];
        for (int k = 0; k < chunks; k++) {
            labels[k] = new Label();
        }
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitIntInsn(Opcodes.BIPUSH, 8);
        mv.visitInsn(Opcodes.ISHR);
        mv.visitTableSwitchInsn(0, chunks - 1, bad, labels);
        for (int k = 0; k < chunks; k++) {
            mv.visitLabel(labels[k]);
            mv.visitVarInsn(Opcodes.ILOAD, 1);
            mv.visitVarInsn(Opcodes.ALOAD, 2);
            mv.visitVarInsn(Opcodes.ILOAD, 3);
            mv.visitVarInsn(Opcodes.ALOAD, 4);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "i" + k, "(I[JI" + CTX_DESC + ")I", false);
            mv.visitInsn(Opcodes.IRETURN);
            emitInvokeChunk(cw, k);
        }
        mv.visitLabel(bad);
        mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn("not a compiled function");
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(Opcodes.ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private void emitInvokeChunk(ClassWriter cw, int k) {
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_STATIC | Opcodes.ACC_PRIVATE, "i" + k, "(I[JI" + CTX_DESC + ")I", null, null);
        mv.visitCode();
        int lo = k << 8;
        int hi = Math.min(module.functionCount(), lo + 256) - 1;
        Label bad = new Label();
        Label[] labels = new Label[hi - lo + 1];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = isCompiled(lo + i) ? new Label() : bad;
        }
        mv.visitVarInsn(Opcodes.ILOAD, 0);
        mv.visitTableSwitchInsn(lo, hi, bad, labels);
        for (int f = lo; f <= hi; f++) {
            if (!isCompiled(f)) {
                continue;
            }
            int t = types.functionTypes[f];
            byte[] params = types.typeParams[t];
            byte[] results = types.typeResults[t];
            mv.visitLabel(labels[f - lo]);
            for (int p = 0; p < params.length; p++) {
                mv.visitVarInsn(Opcodes.ALOAD, 1);
                mv.visitVarInsn(Opcodes.ILOAD, 2);
                push(mv, p);
                mv.visitInsn(Opcodes.IADD);
                mv.visitInsn(Opcodes.LALOAD);
                fromSlot(mv, params[p]);
            }
            mv.visitVarInsn(Opcodes.ALOAD, 3);
            if (resumable(f)) {
                Label normal = new Label();
                Label called = new Label();
                mv.visitVarInsn(Opcodes.ALOAD, 3);
                mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
                mv.visitJumpInsn(Opcodes.IFNULL, normal);
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "r" + f, functionDescriptor(f), false);
                mv.visitJumpInsn(Opcodes.GOTO, called);
                mv.visitLabel(normal);
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "f" + f, functionDescriptor(f), false);
                mv.visitLabel(called);
            } else {
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, NAME, "f" + f, functionDescriptor(f), false);
            }
            if (results.length == 1) {
                toSlot(mv, results[0]);
                mv.visitVarInsn(Opcodes.LSTORE, 4);
                mv.visitVarInsn(Opcodes.ALOAD, 1);
                mv.visitVarInsn(Opcodes.ILOAD, 2);
                mv.visitVarInsn(Opcodes.LLOAD, 4);
                mv.visitInsn(Opcodes.LASTORE);
            } else if (results.length > 1) {
                mv.visitVarInsn(Opcodes.ALOAD, 3);
                mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "results", "[J");
                push(mv, 0);
                mv.visitVarInsn(Opcodes.ALOAD, 1);
                mv.visitVarInsn(Opcodes.ILOAD, 2);
                push(mv, results.length);
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "arraycopy", "(Ljava/lang/Object;ILjava/lang/Object;II)V", false);
            }
            push(mv, results.length);
            mv.visitInsn(Opcodes.IRETURN);
        }
        mv.visitLabel(bad);
        mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn("not a compiled function");
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(Opcodes.ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    static void push(MethodVisitor mv, int v) {
        if (v >= -1 && v <= 5) {
            mv.visitInsn(Opcodes.ICONST_0 + v);
        } else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
            mv.visitIntInsn(Opcodes.BIPUSH, v);
        } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
            mv.visitIntInsn(Opcodes.SIPUSH, v);
        } else {
            mv.visitLdcInsn(v);
        }
    }

    static void pushLong(MethodVisitor mv, long v) {
        if (v == 0L) {
            mv.visitInsn(Opcodes.LCONST_0);
        } else if (v == 1L) {
            mv.visitInsn(Opcodes.LCONST_1);
        } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
            push(mv, (int) v);
            mv.visitInsn(Opcodes.I2L);
        } else {
            mv.visitLdcInsn(v);
        }
    }

    private static boolean hugeMethodsSkipped() {
        try {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return !"false".equals(bean.getVMOption("DontCompileHugeMethods").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }

    // ------------------------------------------------------------------ one function

    /** Translates one function body; abstract-interprets the operand height as the validator does. */
    private static final class FunctionEmitter {
        private static final int BLOCK = 1;
        private static final int LOOP = 2;
        private static final int IF = 3;
        private static final int FUNCTION = 5;

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
        }

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
        private final List<Integer> siteOffsets = new ArrayList<>();
        private final List<Label> siteLabels = new ArrayList<>();
        private final List<byte[]> siteTypes = new ArrayList<>();

        int[] siteOffsets() {
            return siteOffsets.stream().mapToInt(Integer::intValue).toArray();
        }

        FunctionEmitter(JitCompiler jc, ClassWriter cw, int index, boolean resume) {
            this.resume = resume;
            this.compact = jc.compact.contains(index);
            this.jc = jc;
            this.cw = cw;
            this.index = index;
            this.code = jc.module.function(index);
            this.body = jc.module.wasm.codeSection().getFunctionBody(index - jc.module.importedFunctions);
            this.params = code.paramTypes;
            this.results = code.resultTypes;
            byte[] lt = code.localTypes;
            this.localSlots = new int[lt.length];
            int slot = 0;
            for (int l = 0; l < params.length; l++) {
                localSlots[l] = slot;
                slot += wide(lt[l]) ? 2 : 1;
            }
            this.ctxSlot = slot++;
            for (int l = params.length; l < lt.length; l++) {
                localSlots[l] = slot;
                slot += wide(lt[l]) ? 2 : 1;
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
            mv = jc.cwMethod(cw, (resume ? "r" : "f") + index, jc.functionDescriptor(index));
            mv.visitCode();
            // prologue: count the frame, zero the locals, load fuel and memory
            counters(1, frameWeight);
            for (int l = params.length; l < code.localTypes.length; l++) {
                if (wide(code.localTypes[l])) {
                    mv.visitInsn(Opcodes.LCONST_0);
                } else {
                    mv.visitInsn(Opcodes.ICONST_0);
                }
                mv.visitVarInsn(storeOp(code.localTypes[l]), slot(l));
            }
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "fuel", "J");
            mv.visitVarInsn(Opcodes.LSTORE, fuelSlot);
            reloadMemory();
            Label dispatch = new Label();
            if (resume) {
                mv.visitJumpInsn(Opcodes.GOTO, dispatch);
            }

            Ctrl fn = new Ctrl();
            fn.kind = FUNCTION;
            fn.params = NONE;
            fn.results = results;
            ctrls.add(fn);
            List<AnnotatedInstruction> instructions = body.instructions();
            int base = instructions.get(0).address();
            for (Instruction ins : instructions) {
                offset = ins.address() - base;
                Ctrl top = ctrls.get(ctrls.size() - 1);
                if (top.unreachable || top.dead) {
                    skipDead(ins, top);
                } else {
                    translate(ins, top);
                }
                insIndex++;
                if (ctrls.isEmpty()) {
                    break;
                }
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
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, UNWIND, "locals", "([J)V", false);
            mv.visitInsn(Opcodes.ATHROW);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
            return ((SizedMethod) mv).size();
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
         */
        private void emitDispatch(Label dispatch) {
            mv.visitLabel(dispatch);
            for (int l = 0; l < code.localTypes.length; l++) {
                mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
                mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "locals", "[J");
                push(mv, l);
                mv.visitInsn(Opcodes.LALOAD);
                fromSlot(mv, code.localTypes[l]);
                mv.visitVarInsn(storeOp(code.localTypes[l]), slot(l));
            }
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
            mv.visitInsn(Opcodes.DUP);
            mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "operands", "[J");
            mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
            mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "site", "I");
            mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitFieldInsn(Opcodes.PUTFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
            Label bad = new Label();
            Label[] entries = new Label[siteLabels.size()];
            for (int i = 0; i < entries.length; i++) {
                entries[i] = new Label();
            }
            if (entries.length == 0) {
                mv.visitInsn(Opcodes.POP);
                mv.visitJumpInsn(Opcodes.GOTO, bad);
            } else {
                mv.visitTableSwitchInsn(0, entries.length - 1, bad, entries);
            }
            for (int i = 0; i < entries.length; i++) {
                mv.visitLabel(entries[i]);
                byte[] types = siteTypes.get(i);
                for (int k = 0; k < types.length; k++) {
                    mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                    push(mv, k);
                    mv.visitInsn(Opcodes.LALOAD);
                    fromSlot(mv, types[k]);
                }
                mv.visitJumpInsn(Opcodes.GOTO, siteLabels.get(i));
            }
            mv.visitLabel(bad);
            mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
            mv.visitInsn(Opcodes.DUP);
            mv.visitLdcInsn("no resume site");
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>", "(Ljava/lang/String;)V", false);
            mv.visitInsn(Opcodes.ATHROW);
        }

        /** A safepoint instruction (branch or call): a resume site, numbered in body order. */
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
                        mv.visitVarInsn(loadOp(code.localTypes[l]), slot(l));
                        pushType(code.localTypes[l]);
                        break;
                    }
                case LOCAL_SET:
                    {
                        int l = (int) ins.operand(0);
                        mv.visitVarInsn(storeOp(code.localTypes[l]), slot(l));
                        popType();
                        break;
                    }
                case LOCAL_TEE:
                    {
                        int l = (int) ins.operand(0);
                        mv.visitInsn(wide(code.localTypes[l]) ? Opcodes.DUP2 : Opcodes.DUP);
                        mv.visitVarInsn(storeOp(code.localTypes[l]), slot(l));
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
                    th -= 3;
                    runtime("memoryInit", "(III" + CTX_DESC + "I)V", (int) ins.operand(0));
                    break;
                case DATA_DROP:
                    mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                    push(mv, (int) ins.operand(0));
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "dataDrop", "(" + CTX_DESC + "I)V", false);
                    break;
                case MEMORY_COPY:
                    th -= 3;
                    mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "memoryCopy", "(III" + CTX_DESC + ")V", false);
                    break;
                case MEMORY_FILL:
                    th -= 3;
                    mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "memoryFill", "(III" + CTX_DESC + ")V", false);
                    break;
                case TABLE_INIT:
                    th -= 3;
                    mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                    push(mv, (int) ins.operand(0));
                    push(mv, (int) ins.operand(1));
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "tableInit", "(III" + CTX_DESC + "II)V", false);
                    break;
                case ELEM_DROP:
                    mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                    push(mv, (int) ins.operand(0));
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "elemDrop", "(" + CTX_DESC + "I)V", false);
                    break;
                case TABLE_COPY:
                    th -= 3;
                    mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
                    push(mv, (int) ins.operand(0));
                    push(mv, (int) ins.operand(1));
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, RT, "tableCopy", "(III" + CTX_DESC + "II)V", false);
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
                    th -= 3;
                    runtime("tableFill", "(IJI" + CTX_DESC + "I)V", (int) ins.operand(0));
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

        private void markDirty(int plus) {
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
                for (int k = height - 1; k >= 0; k--) {
                    toSlot(mv, types[k]);
                    mv.visitVarInsn(Opcodes.LSTORE, tmpLong);
                    mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                    push(mv, k);
                    mv.visitVarInsn(Opcodes.LLOAD, tmpLong);
                    mv.visitInsn(Opcodes.LASTORE);
                }
                stop(at, tmpArray);
            });
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

        private void emitReturn() {
            int n = results.length;
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

    /** A method visitor that knows the size of the code it wrote (ASM's writer does not say before the class is done). */
    interface SizedMethod {
        int size();
    }

    MethodVisitor cwMethod(ClassWriter cw, String name, String desc) {
        MethodVisitor target = cw.visitMethod(Opcodes.ACC_STATIC | Opcodes.ACC_PRIVATE, name, desc, null, null);
        return new SizeCountingVisitor(target);
    }

    /** Counts an upper bound of the bytecode written, instruction by instruction. */
    private static final class SizeCountingVisitor extends MethodVisitor implements SizedMethod {
        private int size;

        SizeCountingVisitor(MethodVisitor mv) {
            super(Opcodes.ASM9, mv);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void visitInsn(int opcode) {
            size += 1;
            super.visitInsn(opcode);
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            size += 3;
            super.visitIntInsn(opcode, operand);
        }

        @Override
        public void visitVarInsn(int opcode, int var) {
            size += var < 4 ? 1 : var < 256 ? 2 : 4;
            super.visitVarInsn(opcode, var);
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            size += 3;
            super.visitTypeInsn(opcode, type);
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            size += 3;
            super.visitFieldInsn(opcode, owner, name, descriptor);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            size += 3;
            super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            size += 3;
            super.visitJumpInsn(opcode, label);
        }

        @Override
        public void visitLdcInsn(Object value) {
            size += 3;
            super.visitLdcInsn(value);
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            size += 16 + 4 * labels.length;
            super.visitTableSwitchInsn(min, max, dflt, labels);
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            size += 12 + 8 * keys.length;
            super.visitLookupSwitchInsn(dflt, keys, labels);
        }
    }
}
