package pm.runtime.interp;

/**
 * Resource limits of one machine: memory pages, call depth and value-stack slots. Exceeding the
 * call depth or the stack traps with "call stack exhausted"; memory.grow past the page limit
 * returns -1 (as the specification allows any grow to), so the guest sees an allocation fail and
 * goes on. The memory of processes is also charged to their host's {@link MemoryBudget}.
 */
public record Limits(int memoryPages, int maxCallDepth, int maxStackSlots) {
    public static final Limits DEFAULT = new Limits(MemoryInstance.MAX_PAGES, 20_000, 4 << 20);

    public Limits {
        if (memoryPages < 0 || maxCallDepth < 1 || maxStackSlots < 1024) {
            throw new IllegalArgumentException(
                    "limits out of range: pages=" + memoryPages + " depth=" + maxCallDepth + " slots=" + maxStackSlots);
        }
    }

    public Limits withMemoryPages(int pages) {
        return new Limits(pages, maxCallDepth, maxStackSlots);
    }

    public Limits withMaxCallDepth(int depth) {
        return new Limits(memoryPages, depth, maxStackSlots);
    }
}
