package pm.runtime.interp;

/**
 * Resource limits of one machine: memory pages, call depth and value-stack slots, and the tier it
 * runs guest code in. Exceeding the call depth or the stack traps with "call stack exhausted";
 * memory.grow past the page limit returns -1 (as the specification allows any grow to), so the
 * guest sees an allocation fail and goes on. The memory of processes is also charged to their
 * host's {@link MemoryBudget}. The tier travels here because these are what every machine of a
 * process is made with, whether it starts, is restored or arrives by migration; it never changes
 * what a machine computes or what its image holds.
 */
public record Limits(int memoryPages, int maxCallDepth, int maxStackSlots, Machine.Tier tier) {
    public static final Limits DEFAULT = new Limits(MemoryInstance.MAX_PAGES, 20_000, 4 << 20);

    public Limits {
        if (memoryPages < 0 || maxCallDepth < 1 || maxStackSlots < 1024 || tier == null) {
            throw new IllegalArgumentException("limits out of range: pages=" + memoryPages + " depth=" + maxCallDepth
                    + " slots=" + maxStackSlots + " tier=" + tier);
        }
    }

    /** Limits in the tier this JVM runs by default ({@link Machine#defaultTier()}). */
    public Limits(int memoryPages, int maxCallDepth, int maxStackSlots) {
        this(memoryPages, maxCallDepth, maxStackSlots, Machine.defaultTier());
    }

    public Limits withMemoryPages(int pages) {
        return new Limits(pages, maxCallDepth, maxStackSlots, tier);
    }

    public Limits withMaxCallDepth(int depth) {
        return new Limits(memoryPages, depth, maxStackSlots, tier);
    }

    public Limits withTier(Machine.Tier value) {
        return new Limits(memoryPages, maxCallDepth, maxStackSlots, value);
    }
}
