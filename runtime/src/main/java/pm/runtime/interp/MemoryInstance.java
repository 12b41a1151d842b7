package pm.runtime.interp;

import java.util.Arrays;

/**
 * A linear memory: a heap byte array sized exactly to the current page count, so the JVM's own
 * array bounds check is the WebAssembly bounds check. Owned by the thread running its machine.
 */
public final class MemoryInstance {
    public static final int PAGE_SIZE = 65536;
    /** Largest memory a Java byte array can hold, in pages. */
    public static final int MAX_PAGES = (Integer.MAX_VALUE - 8) / PAGE_SIZE;

    byte[] bytes;
    private final int declaredMax;
    private final int maxPages;
    private final int pageLimit;

    public MemoryInstance(int initialPages, int declaredMax, int pageLimit) {
        this.declaredMax = declaredMax;
        this.pageLimit = pageLimit;
        this.maxPages = Math.min(Math.min(declaredMax, pageLimit), MAX_PAGES);
        if (initialPages > maxPages) {
            throw new pm.runtime.LinkException(
                    "memory of " + initialPages + " pages exceeds the limit of " + maxPages + " pages");
        }
        this.bytes = new byte[initialPages * PAGE_SIZE];
    }

    public int pages() {
        return bytes.length / PAGE_SIZE;
    }

    /** The declared maximum in pages (65536 when the module declares none). */
    public int declaredMax() {
        return declaredMax;
    }

    /** The live backing array; replaced on growth, so never cache it across a call or grow. */
    public byte[] bytes() {
        return bytes;
    }

    /** Grows by {@code delta} pages; returns the old size in pages, or -1 if that is not possible. */
    public int grow(int delta) {
        int old = pages();
        long wanted = (long) old + delta;
        if (delta < 0 || wanted > maxPages) {
            if (delta >= 0 && wanted <= Math.min(declaredMax, MAX_PAGES) && pageLimit < MAX_PAGES) {
                // The module and the runtime would allow it: only the process's own limit says no.
                throw new pm.runtime.LimitExceededException(
                        "memory limit of " + pageLimit + " pages exceeded (asked for " + wanted + ")");
            }
            return -1;
        }
        if (delta > 0) {
            bytes = Arrays.copyOf(bytes, (old + delta) * PAGE_SIZE);
        }
        return old;
    }

    /** Replaces the contents on restore: a fresh zeroed array of {@code pages} pages. */
    void resetTo(int pages) {
        if (pages > maxPages) {
            throw new pm.runtime.StateMismatchException(
                    "state has " + pages + " memory pages, more than the limit of " + maxPages);
        }
        bytes = new byte[pages * PAGE_SIZE];
    }
}
