package pm.runtime.interp;

/**
 * The peephole pass that fuses two adjacent ops of one basic block into a super-instruction, so
 * the dispatch loop runs fewer, larger steps. Chosen from the op-pair frequencies of real C
 * programs (bzip2, the guest programs). A fused op keeps the first instruction's offset, so a
 * state is always captured before it, never inside it.
 */
final class SuperInstructions {
    /** Moves a pending branch-target slot when a fused branch shifts its immediate. */
    @FunctionalInterface
    interface FixupRelocator {
        void relocate(int fromSlot, int toSlot);
    }

    private SuperInstructions() {}

    /**
     * Fuses the last two ops of {@code buf} into one super-instruction when they form a known pair and nothing
     * branches between them. The fused op keeps the first instruction's offset, so a state can
     * still be captured before it (never inside it). Calls are never fused: a caller frame's
     * offset must be its call instruction.
     */
    static void fuse(CodeBuffer buf, FixupRelocator relocator) {
        if (buf.opCount < 2) {
            return;
        }
        int[] code = buf.code;
        int last = buf.opPcs[buf.opCount - 1];
        int prev = buf.opPcs[buf.opCount - 2];
        if (last == buf.lastTarget) {
            return;
        }
        int a = code[prev];
        int b = code[last];
        switch (a) {
            case Op.LOCAL_GET:
                if (b == Op.LOCAL_GET) {
                    buf.rewrite(prev, Op.LOCAL_GET2, code[prev + 1], code[last + 1]);
                } else if (b == Op.I32_CONST) {
                    buf.rewrite(prev, Op.LOCAL_GET_CONST, code[prev + 1], code[last + 1]);
                } else if (b == Op.I32_LOAD) {
                    buf.rewrite(prev, Op.I32_LOAD_L, code[prev + 1], code[last + 1]);
                } else if (b == Op.I32_ADD) {
                    buf.rewrite(prev, Op.I32_ADD_L, code[prev + 1]);
                } else if (b == Op.I32_SUB) {
                    buf.rewrite(prev, Op.I32_SUB_L, code[prev + 1]);
                }
                break;
            case Op.LOCAL_GET2:
                if (b == Op.I32_LOAD) {
                    buf.rewrite(prev, Op.LOCAL_GET_LOAD_L, code[prev + 1], code[prev + 2], code[last + 1]);
                }
                break;
            case Op.I32_SHL_C:
                if (b == Op.I32_ADD) {
                    buf.rewrite(prev, Op.I32_SHL_ADD, code[prev + 1]);
                }
                break;
            case Op.I32_ADD_C:
                if (b == Op.I32_LOAD8_U) {
                    buf.rewrite(prev, Op.I32_LOAD8_U_C, code[prev + 1], code[last + 1]);
                } else if (b == Op.I32_LOAD) {
                    buf.rewrite(prev, Op.I32_LOAD_C, code[prev + 1], code[last + 1]);
                } else if (b == Op.LOCAL_TEE) {
                    buf.rewrite(prev, Op.I32_ADD_C_TEE, code[prev + 1], code[last + 1]);
                }
                break;
            case Op.I32_LOAD8_U:
                if (b == Op.LOCAL_TEE) {
                    buf.rewrite(prev, Op.I32_LOAD8_U_TEE, code[prev + 1], code[last + 1]);
                }
                break;
            case Op.LOCAL_GET_CONST:
                if (b == Op.I32_ADD) {
                    buf.rewrite(prev, Op.LOCAL_ADD_C, code[prev + 1], code[prev + 2]);
                }
                break;
            case Op.I32_CONST:
                if (b == Op.I32_ADD) {
                    buf.rewrite(prev, Op.I32_ADD_C, code[prev + 1]);
                } else if (b == Op.I32_AND) {
                    buf.rewrite(prev, Op.I32_AND_C, code[prev + 1]);
                } else if (b == Op.I32_SHL) {
                    buf.rewrite(prev, Op.I32_SHL_C, code[prev + 1]);
                } else if (b == Op.I32_SHR_U) {
                    buf.rewrite(prev, Op.I32_SHR_U_C, code[prev + 1]);
                }
                break;
            case Op.LOCAL_SET:
                if (b == Op.LOCAL_GET) {
                    buf.rewrite(prev, Op.LOCAL_SET_GET, code[prev + 1], code[last + 1]);
                }
                break;
            case Op.LOCAL_TEE:
                if (b == Op.LOCAL_GET) {
                    buf.rewrite(prev, Op.LOCAL_TEE_GET, code[prev + 1], code[last + 1]);
                } else if (b == Op.I32_LOAD) {
                    buf.rewrite(prev, Op.LOCAL_TEE_LOAD, code[prev + 1], code[last + 1]);
                }
                break;
            case Op.I32_ADD:
                if (b == Op.LOCAL_SET) {
                    buf.rewrite(prev, Op.I32_ADD_SET, code[last + 1]);
                } else if (b == Op.LOCAL_TEE) {
                    buf.rewrite(prev, Op.I32_ADD_TEE, code[last + 1]);
                } else if (b == Op.I32_LOAD8_U) {
                    buf.rewrite(prev, Op.I32_LOAD8_U_ADD, code[last + 1]);
                } else if (b == Op.I32_LOAD) {
                    buf.rewrite(prev, Op.I32_LOAD_ADD, code[last + 1]);
                }
                break;
            case Op.I32_EQZ:
                fuseBranch(buf, relocator, prev, last, b, Op.BR_UNLESS, Op.BR_UNLESS_LOOP);
                break;
            case Op.I32_NE:
                fuseBranch(buf, relocator, prev, last, b, Op.BR_IF_NE, Op.BR_IF_NE_LOOP);
                break;
            case Op.I32_EQ:
                fuseBranch(buf, relocator, prev, last, b, Op.BR_IF_EQ, -1);
                break;
            case Op.I32_LT_U:
                fuseBranch(buf, relocator, prev, last, b, -1, Op.BR_IF_LT_U_LOOP);
                break;
            case Op.I32_LT_S:
                fuseBranch(buf, relocator, prev, last, b, -1, Op.BR_IF_LT_S_LOOP);
                break;
            default:
                break;
        }
    }

    private static void fuseBranch(
            CodeBuffer buf, FixupRelocator relocator, int prev, int last, int branch, int forward, int loop) {
        int[] code = buf.code;
        if (branch == Op.BR_IF && forward >= 0) {
            relocator.relocate(last + 1, prev + 1);
            buf.rewrite(prev, forward, code[last + 1]);
        } else if (branch == Op.BR_IF_LOOP && loop >= 0) {
            buf.rewrite(prev, loop, code[last + 1]);
        }
    }
}
