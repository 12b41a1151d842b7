package pm.runtime.interp;

/**
 * What compiled code of one instance reads while it runs on one machine: the instance's memory
 * (array, size, dirty bytes: refreshed after every call and grow), globals, the fuel left, and the
 * depth of compiled frames on the Java stack. One per machine and instance, owned by the machine's
 * thread.
 */
final class JitContext {
    /**
     * Java stack, in estimated bytes of compiled frames, that compiled code may use before it hands
     * deeper calls to the interpreter (which keeps its frames on the heap): well under the 512 KiB
     * a thread gets at the least, so a StackOverflowError never cuts through compiled frames.
     */
    static final int STACK_BUDGET = 192 << 10;

    final Machine machine;
    final Instance instance;
    final GlobalInstance[] globals;
    byte[] mem;
    byte[] dirty;
    int memSize;
    long fuel;
    /** Compiled frames active on the Java stack, and the most there may be. */
    int calls;

    int callLimit;
    /** Estimated Java stack those frames take. */
    int stackBytes;
    /** The frame the next compiled call re-enters instead of starting afresh (see JitResume). */
    JitResume resume;
    /** Results of a function with more than one. */
    long[] results;
    /** The operands of the work left by a bulk instruction that stopped part-way (see Bulk#rest). */
    long[] rest;
    /** The result of a function that returned from inside one of its regions. */
    long regionValue;

    JitContext(Machine machine, Instance instance) {
        this.machine = machine;
        this.instance = instance;
        this.globals = instance.globals;
        refresh();
    }

    void refresh() {
        MemoryInstance m = instance.memory;
        if (m == null) {
            mem = JitRuntime.NO_MEMORY;
            dirty = JitRuntime.NO_MEMORY;
            memSize = 0;
        } else {
            mem = m.bytes;
            dirty = m.dirty;
            memSize = m.size;
        }
    }
}
