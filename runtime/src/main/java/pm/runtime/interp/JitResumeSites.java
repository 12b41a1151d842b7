package pm.runtime.interp;

import static pm.runtime.interp.JitCompiler.CTX;
import static pm.runtime.interp.JitCompiler.fromSlot;
import static pm.runtime.interp.JitCompiler.push;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The resume sites of one emitted method (the safepoints where compiled code can stop: branches,
 * calls, bulk instructions) and, in a resume copy, its entry switch to them. Sites are numbered
 * over the whole function in body order ({@link JitCompiler#sites}); in a function split into
 * regions, the function's method enters a site inside a region through the call of that region's
 * resume copy ({@link #regionEntry}).
 */
final class JitResumeSites {
    private final MethodVisitor mv;
    /** Whether the method is a resume copy: only then are the sites' labels placed. */
    private final boolean resume;

    private final List<Integer> offsets = new ArrayList<>();
    private final List<Label> labels = new ArrayList<>();
    private final List<byte[]> types = new ArrayList<>();
    /** In the resume copy of a split function, by region number: where it enters that region's resume copy. */
    private final List<Label> regionEntries = new ArrayList<>();
    /** ... and the offsets of the region's first and last instructions. */
    private final List<int[]> regionSpans = new ArrayList<>();

    JitResumeSites(MethodVisitor mv, boolean resume) {
        this.mv = mv;
        this.resume = resume;
    }

    /** A site at the instruction at {@code offset}, about to be emitted, with these operand types. */
    void site(int offset, JitTypeStack stack) {
        offsets.add(offset);
        types.add(Arrays.copyOf(stack.ts, stack.th));
        Label l = new Label();
        labels.add(l);
        if (resume) {
            mv.visitLabel(l);
        }
    }

    /** The sites of a region's method, counted as the function's. */
    void add(JitResumeSites region) {
        offsets.addAll(region.offsets);
    }

    /** Where the function's resume copy enters the resume copy of the region spanning these offsets. */
    void regionEntry(Label entry, int first, int last) {
        regionEntries.add(entry);
        regionSpans.add(new int[] {first, last});
    }

    /** The offsets of the sites, the regions' included, in body order (the site numbers). */
    int[] offsets() {
        return offsets.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * By the site number in {@code ctx.resume}, pushes the site's operands and jumps to it (and
     * clears {@code ctx.resume}), or jumps to the entry of the region holding it (leaving
     * {@code ctx.resume} for the region's copy). {@code all}: the function's site offsets by number.
     */
    void emitSwitch(int[] all, int ctxSlot, int tmpArray) {
        mv.visitVarInsn(Opcodes.ALOAD, ctxSlot);
        mv.visitFieldInsn(Opcodes.GETFIELD, CTX, "resume", "Lpm/runtime/interp/JitResume;");
        mv.visitInsn(Opcodes.DUP);
        mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "operands", "[J");
        mv.visitVarInsn(Opcodes.ASTORE, tmpArray);
        mv.visitFieldInsn(Opcodes.GETFIELD, "pm/runtime/interp/JitResume", "site", "I");
        Map<Integer, Integer> mineAt = new HashMap<>();
        for (int i = 0; i < offsets.size(); i++) {
            mineAt.put(offsets.get(i), i);
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
            mv.visitLookupSwitchInsn(
                    bad, keys.stream().mapToInt(Integer::intValue).toArray(), targets.toArray(new Label[0]));
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
            byte[] operandTypes = types.get(mine);
            for (int k = 0; k < operandTypes.length; k++) {
                mv.visitVarInsn(Opcodes.ALOAD, tmpArray);
                push(mv, k);
                mv.visitInsn(Opcodes.LALOAD);
                fromSlot(mv, operandTypes[k]);
            }
            mv.visitJumpInsn(Opcodes.GOTO, labels.get(mine));
        }
        mv.visitLabel(bad);
        mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn("no resume site");
        mv.visitMethodInsn(
                Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>", "(Ljava/lang/String;)V", false);
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
}
