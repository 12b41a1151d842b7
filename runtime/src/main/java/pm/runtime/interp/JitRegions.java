package pm.runtime.interp;

import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Chooses the parts of a large function that the compiled tier emits as methods of their own
 * ("regions"), so that no JVM method of the function is too large for HotSpot's C2. bzip2's
 * sendMTFValues became one 38 KB method: C2 gave up on it (out of nodes, also with
 * {@code MaxNodeLimit} five times the default) and C1 too (out of virtual registers), so it ran in
 * the JVM's bytecode interpreter and took more time than the rest of bzip2 together.
 *
 * <p>A region is a run of whole statements of one block body: it starts and ends where the
 * operand stack is empty, and every branch out of it targets a label without values (or returns),
 * so leaving it needs no values but which label. A function with regions keeps its locals in a
 * long[] it passes to them; a region loads the ones it uses into JVM locals, writes back those it
 * writes and returns the label it left by (0: it ran to its end). Runs are cut greedily, at most
 * {@link #LIMIT} instructions each; a statement larger than that (a big loop) is descended into.
 * Stack heights come from a dry run of the function's own emitter, so the function and the plan
 * agree on them.
 *
 * <p>A frame of a split function stopped by a freeze re-enters compiled code like any other: the
 * function's resume copy calls the resume copy of the region that holds the site (see
 * JitFunctionEmitter#emitDispatch), so a long-running function (an interpreter's dispatch loop)
 * does not stay interpreted after a freeze.
 */
final class JitRegions {
    /**
     * One region: instructions {@code start} to {@code end} inclusive, the locals it reads or writes
     * and those it writes, whether its end is reachable (else it leaves only by branches), and by
     * position in the label stack (0: the function, a return), the labels outside it it branches to.
     */
    record Region(int start, int end, boolean[] used, boolean[] written, boolean fallsThrough, boolean[] exits) {}

    /**
     * Functions of more instructions than this are split; no region is larger. 600 keeps bzip2's
     * methods under HotSpot's 8000-byte limit for compilation but few (printf's core, decompression's
     * state machine), and each region large enough that calling it costs little.
     */
    static final int LIMIT = Integer.getInteger("pm.runtime.jitRegionLimit", 600);

    /** Smaller runs stay in the function: a region call and the locals it loads and stores cost. */
    private static final int MIN = 40;

    /** A block, loop, if or the function body: instructions {@code start} (its opener, -1 for the body) to {@code end} (its end). */
    private static final class Node {
        final int start;
        final int position; // in the label stack: 0 for the function
        int end;
        final List<Node> children = new ArrayList<>();

        Node(int start, int position) {
            this.start = start;
            this.position = position;
        }
    }

    private final List<? extends Instruction> instructions;
    private final int[] heights;
    private final int locals;
    /** By instruction: the outermost label position a branch there targets with values; MAX_VALUE if none. */
    private final int[] valueTarget;
    /** By instruction: the label positions a branch there targets (a return: 0), null if it branches nowhere. */
    private final int[][] targets;

    private final boolean[] isElse;
    private final Node root;
    private final Map<Integer, Region> out = new TreeMap<>();
    private final int limit;
    private final int min;

    private JitRegions(
            List<? extends Instruction> instructions, ModuleTypes types, int locals, int[] heights, int limit) {
        this.limit = limit;
        this.min = Math.min(MIN, limit / 2);
        this.instructions = instructions;
        this.heights = heights;
        this.locals = locals;
        this.valueTarget = new int[instructions.size()];
        this.targets = new int[instructions.size()][];
        this.isElse = new boolean[instructions.size()];
        this.root = new Node(-1, 0);
        List<Node> stack = new ArrayList<>();
        List<Integer> arities = new ArrayList<>(); // of a branch to each label on the stack
        stack.add(root);
        arities.add(-1); // the function: a return, always allowed
        for (int i = 0; i < instructions.size() && !stack.isEmpty(); i++) {
            Instruction ins = instructions.get(i);
            valueTarget[i] = Integer.MAX_VALUE;
            switch (ins.opcode()) {
                case BLOCK:
                case LOOP:
                case IF: {
                    long bt = ins.operand(0);
                    boolean empty = bt == 0x40;
                    int params = empty || ValType.isValid(bt) ? 0 : types.typeParams[(int) bt].length;
                    int results = empty ? 0 : ValType.isValid(bt) ? 1 : types.typeResults[(int) bt].length;
                    Node n = new Node(i, stack.size());
                    stack.get(stack.size() - 1).children.add(n);
                    stack.add(n);
                    arities.add(ins.opcode() == OpCode.LOOP ? params : results);
                    break;
                }
                case ELSE:
                    isElse[i] = true;
                    break;
                case END:
                    stack.remove(stack.size() - 1).end = i;
                    arities.remove(arities.size() - 1);
                    break;
                case BR:
                case BR_IF:
                    targets[i] = new int[1];
                    target(i, arities, (int) ins.operand(0), 0);
                    break;
                case BR_TABLE:
                    targets[i] = new int[ins.operandCount()];
                    for (int k = 0; k < ins.operandCount(); k++) {
                        target(i, arities, (int) ins.operand(k), k);
                    }
                    break;
                case RETURN:
                    targets[i] = new int[] {0};
                    break;
                default:
                    break;
            }
        }
    }

    private void target(int i, List<Integer> arities, int depth, int k) {
        int t = arities.size() - 1 - depth;
        targets[i][k] = t;
        if (arities.get(t) > 0) {
            valueTarget[i] = Math.min(valueTarget[i], t);
        }
    }

    /** Whether the function is worth a dry run for {@link #plan}. */
    static boolean large(List<? extends Instruction> instructions, int limit) {
        return instructions.size() > limit;
    }

    /**
     * The regions of a function by start instruction; {@code heights} is the operand stack height
     * before each instruction, -1 where it is unreachable.
     */
    static Map<Integer, Region> plan(
            List<? extends Instruction> instructions,
            ModuleTypes types,
            CompiledFunction code,
            int[] heights,
            int limit) {
        JitRegions r = new JitRegions(instructions, types, code.localTypes.length, heights, limit);
        r.split(r.root);
        return r.out;
    }

    /** Cuts the body of {@code n} into runs of statements; descends into statements too large for one. */
    private void split(Node n) {
        int from = n.start + 1;
        int to = n.end; // exclusive: the node's end
        int child = 0;
        List<int[]> run = new ArrayList<>(); // statements [start, end)
        int i = from;
        while (i < to) {
            if (isElse[i]) {
                flush(run, n);
                i++;
                continue;
            }
            // one statement: from a point of empty stack to the next one (or the else, or the end)
            int s = i;
            boolean big = false;
            List<Node> bigChildren = new ArrayList<>();
            do {
                if (child < n.children.size() && n.children.get(child).start == i) {
                    Node c = n.children.get(child++);
                    if (c.end - c.start > limit) {
                        big = true;
                        bigChildren.add(c);
                    }
                    i = c.end + 1;
                } else {
                    i++;
                }
            } while (i < to && !isElse[i] && heights[i] != 0);
            boolean boundary = heights[s] == 0;
            if (big || !boundary) {
                flush(run, n);
                for (Node c : bigChildren) {
                    split(c);
                }
                continue;
            }
            if (!run.isEmpty() && i - run.get(0)[0] > limit) {
                flush(run, n);
            }
            run.add(new int[] {s, i});
        }
        flush(run, n);
    }

    /** Makes the statements of {@code run} (then emptied) one region if they qualify. */
    private void flush(List<int[]> run, Node n) {
        if (!run.isEmpty()) {
            region(run.get(0)[0], run.get(run.size() - 1)[1], n);
            run.clear();
        }
    }

    /** Makes instructions {@code start} to {@code end} (exclusive) a region if they qualify. */
    private void region(int start, int end, Node n) {
        if (end - start < min) {
            return;
        }
        boolean[] written = new boolean[locals];
        boolean[] used = new boolean[locals];
        boolean[] exits = new boolean[n.position + 1];
        for (int i = start; i < end; i++) {
            if (valueTarget[i] <= n.position) {
                return; // leaves n, or further out, with values
            }
            if (targets[i] != null) {
                for (int t : targets[i]) {
                    if (t <= n.position) {
                        exits[t] = true;
                    }
                }
            }
            OpCode op = instructions.get(i).opcode();
            if (op == OpCode.LOCAL_SET || op == OpCode.LOCAL_TEE || op == OpCode.LOCAL_GET) {
                int l = (int) instructions.get(i).operand(0);
                written[l] |= op != OpCode.LOCAL_GET;
                used[l] = true;
            }
        }

        if (end < heights.length && heights[end] != 0 && heights[end] != -1) {
            return; // the run would end with values on the stack
        }
        out.put(start, new Region(start, end - 1, used, written, heights[end] != -1, exits));
    }
}
