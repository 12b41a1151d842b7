package pm.runtime.interp;

import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
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

    /** Bounds of ASM's frame computation per method: far above what a 64 KiB method needs, still finite. */
    static final int MAX_FRAME_MEMORY = 1 << 30;

    static final long MAX_FRAME_OPERATIONS = 20_000_000_000L;

    /** The compiled code of a module and which of its defined functions it holds. */
    static final class JitModule {
        final JitCode code;
        final boolean[] compiled; // by function index
        final int classBytes;
        /** By function index: the offsets of its resume sites in site order, or null if it has no resume copy. */
        final int[][] sites;
        /** Whether its stores mark their pages dirty (see {@link MemoryInstance}'s dirty log). */
        final boolean storeBarrier;

        JitModule(JitCode code, Generated g) {
            this.code = code;
            this.compiled = g.compiled();
            this.classBytes = g.classFile().length;
            this.sites = g.sites();
            this.storeBarrier = g.storeBarrier();
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

    final CompiledModule module;
    final ModuleTypes types;
    private final Set<Integer> excluded;
    private final Map<String, List<Integer>> bySignature = new LinkedHashMap<>();
    private final Set<String> dispatchersUsed = new HashSet<>();
    private final Set<Integer> tooLarge = new HashSet<>();
    /** Functions emitted compactly (helper calls for memory and comparisons) because the fast form passes 64 KiB. */
    final Set<Integer> compact;

    private final Set<Integer> newlyCompact = new HashSet<>();
    /** Functions with no resume copy: it would not fit a JVM method. */
    private final Set<Integer> noResume;
    /** Functions split into regions. */
    private final Set<Integer> split = new HashSet<>();

    private final int[][] sites;

    /** Functions longer than this many instructions are split into regions ({@link JitRegions}). */
    final int regionLimit;
    /** Whether stores mark their pages dirty (the JVM-wide switch; off only to measure what the marks cost). */
    final boolean storeBarrier;

    private JitCompiler(CompiledModule module, Set<Integer> excluded, int regionLimit) {
        this(module, excluded, regionLimit, MemoryInstance.STORE_BARRIER);
    }

    private JitCompiler(CompiledModule module, Set<Integer> excluded, int regionLimit, boolean storeBarrier) {
        this.storeBarrier = storeBarrier;
        this.regionLimit = regionLimit;
        this.module = module;
        this.types = module.types;
        this.excluded = excluded;
        this.compact = new HashSet<>();
        this.noResume = new HashSet<>();
        this.sites = new int[module.functionCount()][];
    }

    private JitCompiler(
            CompiledModule module,
            Set<Integer> excluded,
            Set<Integer> compact,
            Set<Integer> noResume,
            int regionLimit,
            boolean storeBarrier) {
        this(module, excluded, regionLimit, storeBarrier);
        this.compact.addAll(compact);
        this.noResume.addAll(noResume);
    }

    /** The offsets of function {@code f}'s resume sites in body order, its regions' included; null if it has no resume copy. */
    int[] sites(int f) {
        return sites[f];
    }

    /** Whether function {@code f} gets a resume copy: compiled, with a loop, and small enough. */
    boolean resumable(int f) {
        return isCompiled(f) && !noResume.contains(f) && sites[f] != null;
    }

    /** What compiling a module makes: its class file, which functions it holds, their resume sites. */
    record Generated(byte[] classFile, boolean[] compiled, int[][] sites, boolean storeBarrier) {}

    /** Compiles what it can of {@code module} and loads it; null if nothing could be compiled. */
    static JitModule compile(CompiledModule module) {
        Generated g = generate(module);
        return g == null ? null : load(g);
    }

    /** Loads generated code (made here, or read back from a {@link JitDiskCache}) as a hidden class. */
    static JitModule load(Generated g) {
        try {
            // Diagnostics: -Dpm.runtime.jitDump=FILE writes the class file (for javap); -Dpm.runtime.jitVisible=true
            // defines it as an ordinary class, whose frames profilers such as JFR show (one module per JVM only).
            if (System.getProperty("pm.runtime.jitDump") != null) {
                java.nio.file.Files.write(
                        java.nio.file.Path.of(System.getProperty("pm.runtime.jitDump")), g.classFile());
            }
            if (Boolean.getBoolean("pm.runtime.jitVisible")) {
                Class<?> k = MethodHandles.lookup().defineClass(g.classFile());
                JitCode code = (JitCode) k.getDeclaredConstructor().newInstance();
                return new JitModule(code, g);
            }
            MethodHandles.Lookup l = MethodHandles.lookup().defineHiddenClass(g.classFile(), true);
            JitCode code = (JitCode) l.findConstructor(l.lookupClass(), MethodType.methodType(void.class))
                    .invoke();
            return new JitModule(code, g);
        } catch (Throwable t) {
            throw new IllegalStateException("generated code for module does not load: " + t, t);
        }
    }

    /** The class file of what can be compiled of {@code module}; null if nothing can. */
    static Generated generate(CompiledModule module) {
        return generate(module, JitRegions.LIMIT);
    }

    /** As {@link #generate(CompiledModule)}, splitting functions longer than {@code regionLimit} instructions. */
    static Generated generate(CompiledModule module, int regionLimit) {
        return generate(module, regionLimit, MemoryInstance.STORE_BARRIER);
    }

    /** As {@link #generate(CompiledModule, int)}, with stores that mark pages dirty or not (benchmarks compare the two). */
    static Generated generate(CompiledModule module, int regionLimit, boolean storeBarrier) {
        Set<Integer> excluded = new HashSet<>();
        for (int i = 0; i < module.functions.length; i++) {
            if (!compilable(module, module.importedFunctions + i)) {
                excluded.add(module.importedFunctions + i);
            }
        }
        Set<Integer> compact = new HashSet<>();
        Set<Integer> noResume = new HashSet<>();
        while (true) {
            JitCompiler c = new JitCompiler(module, excluded, compact, noResume, regionLimit, storeBarrier);
            byte[] bytes;
            try {
                bytes = c.generate();
            } catch (ArrayIndexOutOfBoundsException e) {
                // ASM's widening of long jumps fails so on the resume copies of bzip2's split functions when
                // they are split finely (regions of 60 instructions) and huge methods are compiled: then split
                // functions resume in the interpreter, as before they had resume copies.
                if (!noResume.containsAll(c.split)) {
                    if (Boolean.getBoolean("pm.runtime.jitLog")) {
                        System.err.println(
                                "jit: ASM failed (" + e.getMessage() + "): split functions get no resume copies");
                    }
                    noResume.addAll(c.split);
                    continue;
                }
                throw e;
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
            boolean[] compiled = new boolean[module.functionCount()];
            for (int i = module.importedFunctions; i < compiled.length; i++) {
                compiled[i] = !excluded.contains(i);
            }
            if (Boolean.getBoolean("pm.runtime.jitLog")) {
                System.err.printf(
                        "jit: module of %d functions: %d compiled, %d interpreted %s, %d class bytes%n",
                        module.functions.length,
                        module.functions.length - excluded.size(),
                        excluded.size(),
                        excluded,
                        bytes.length);
            }
            return new Generated(bytes, compiled, c.sites, storeBarrier);
        }
    }

    private static void log(CompiledModule module, String why) {
        if (Boolean.getBoolean("pm.runtime.jitLog")) {
            System.err.println("jit: module of " + module.functions.length + " functions stays interpreted: " + why);
        }
    }

    /** For tests: the class file the module compiles to. */
    static byte[] classFile(CompiledModule module) {
        return classFile(module, JitRegions.LIMIT);
    }

    static byte[] classFile(CompiledModule module, int regionLimit) {
        Set<Integer> excluded = new HashSet<>();
        for (int i = 0; i < module.functions.length; i++) {
            if (!compilable(module, module.importedFunctions + i)) {
                excluded.add(module.importedFunctions + i);
            }
        }
        return new JitCompiler(module, excluded, regionLimit).generate();
    }

    private static int functionOf(String method) {
        if (method.startsWith("f")) {
            int region = method.indexOf('_'); // a region's method, f<function>_<region>
            try {
                return Integer.parseInt(method.substring(1, region < 0 ? method.length() : region));
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
            case UNREACHABLE:
            case NOP:
            case BLOCK:
            case LOOP:
            case IF:
            case ELSE:
            case END:
            case BR:
            case BR_IF:
            case BR_TABLE:
            case RETURN:
            case CALL:
            case CALL_INDIRECT:
            case DROP:
            case SELECT:
            case SELECT_T:
            case LOCAL_GET:
            case LOCAL_SET:
            case LOCAL_TEE:
            case GLOBAL_GET:
            case GLOBAL_SET:
            case TABLE_GET:
            case TABLE_SET:
            case MEMORY_SIZE:
            case MEMORY_GROW:
            case I32_CONST:
            case I64_CONST:
            case F32_CONST:
            case F64_CONST:
            case REF_NULL:
            case REF_IS_NULL:
            case REF_FUNC:
            case I32_REINTERPRET_F32:
            case I32_WRAP_I64:
            case F32_REINTERPRET_I32:
            case I64_REINTERPRET_F64:
            case F64_REINTERPRET_I64:
            case MEMORY_INIT:
            case DATA_DROP:
            case MEMORY_COPY:
            case MEMORY_FILL:
            case TABLE_INIT:
            case ELEM_DROP:
            case TABLE_COPY:
            case TABLE_GROW:
            case TABLE_SIZE:
            case TABLE_FILL:
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
        // ASM 9.9+ bounds the work of computing frames per method (10 MiB, 1e8 operations) against hostile
        // class files; ours are generated here, and bzip2's largest functions, with the long jumps that
        // make ASM recompute a method, pass 1e8: over the bound a module silently stayed interpreted.
        cw.setComputeLimits(MAX_FRAME_MEMORY, MAX_FRAME_OPERATIONS);
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
                bySignature
                        .computeIfAbsent(signature(types.functionTypes[i]), k -> new ArrayList<>())
                        .add(i);
            }
        }
        for (int i = first; i < count; i++) {
            if (excluded.contains(i)) {
                continue;
            }
            JitFunctionEmitter normal = new JitFunctionEmitter(this, cw, i, false);
            int size = normal.emit();
            if (normal.split()) {
                split.add(i);
            }
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
                new JitFunctionEmitter(this, cw, i, true).emit();
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
        MethodVisitor mv = cw.visitMethod(
                Opcodes.ACC_STATIC | Opcodes.ACC_PRIVATE, name, descriptor(params, results, true), null, null);
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
        mv.visitMethodInsn(
                Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>", "(Ljava/lang/String;)V", false);
        mv.visitInsn(Opcodes.ATHROW);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    private void emitInvokeChunk(ClassWriter cw, int k) {
        MethodVisitor mv = cw.visitMethod(
                Opcodes.ACC_STATIC | Opcodes.ACC_PRIVATE, "i" + k, "(I[JI" + CTX_DESC + ")I", null, null);
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
                mv.visitMethodInsn(
                        Opcodes.INVOKESTATIC,
                        "java/lang/System",
                        "arraycopy",
                        "(Ljava/lang/Object;ILjava/lang/Object;II)V",
                        false);
            }
            push(mv, results.length);
            mv.visitInsn(Opcodes.IRETURN);
        }
        mv.visitLabel(bad);
        mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn("not a compiled function");
        mv.visitMethodInsn(
                Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>", "(Ljava/lang/String;)V", false);
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
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            return !"false".equals(bean.getVMOption("DontCompileHugeMethods").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }

    // ------------------------------------------------------------------ one function

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
