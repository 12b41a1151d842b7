package pm.runtime.interp;

import java.util.Arrays;
import java.util.BitSet;

/**
 * A linear memory: a heap byte array sized exactly to the current page count, so the JVM's own
 * array bounds check is the WebAssembly bounds check. Beside it, one dirty byte per page that
 * every write sets (the interpreter's stores after they succeed, bulk operations, host writes
 * through {@link #markDirty}), so an incremental image or a pre-copy round sends only the pages
 * written since the last {@link #takeDirtyPages}. Owned by the thread running its machine.
 */
public final class MemoryInstance {
    public static final int PAGE_SIZE = 65536;
    /** Largest memory a Java byte array can hold, in pages. */
    public static final int MAX_PAGES = (Integer.MAX_VALUE - 8) / PAGE_SIZE;

    /**
     * Off only to measure what the store barrier costs ({@code -Dpm.runtime.storeBarrier=false});
     * without it every page counts as dirty, so images stay correct, just not incremental.
     */
    static final boolean STORE_BARRIER = !"false".equals(System.getProperty("pm.runtime.storeBarrier"));

    private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE]; // never written

    byte[] bytes;
    /** Non-zero for a page written since the last {@link #takeDirtyPages}; one per page. */
    byte[] dirty;
    private final int declaredMax;
    private final int maxPages;
    private final int pageLimit;
    /** What this memory holds of its host's budget, or null if it is not accounted. */
    private MemoryBudget.Charge charge;

    public MemoryInstance(int initialPages, int declaredMax, int pageLimit) {
        this.declaredMax = declaredMax;
        this.pageLimit = pageLimit;
        this.maxPages = Math.min(Math.min(declaredMax, pageLimit), MAX_PAGES);
        if (initialPages > maxPages) {
            throw new pm.runtime.LimitExceededException(
                    "memory of " + initialPages + " pages exceeds the limit of " + maxPages + " pages");
        }
        this.bytes = new byte[initialPages * PAGE_SIZE];
        this.dirty = new byte[initialPages];
        Arrays.fill(dirty, (byte) 1); // a new memory differs from every image
    }

    public int pages() {
        return bytes.length / PAGE_SIZE;
    }

    /** The declared maximum in pages (65536 when the module declares none). */
    public int declaredMax() {
        return declaredMax;
    }

    /** The live backing array; replaced on growth, so never cache it across a call or grow. Write through it only with {@link #markDirty}. */
    public byte[] bytes() {
        return bytes;
    }

    /**
     * Grows by {@code delta} pages; returns the old size in pages, or -1 if that is not possible:
     * past the module's maximum, past the process's page limit, past the host's memory budget
     * ({@link #chargeTo}), or when the JVM cannot allocate the larger array. The guest decides
     * what -1 means (C's malloc returns NULL); the process itself goes on.
     */
    public int grow(int delta) {
        int old = pages();
        long wanted = (long) old + delta;
        if (delta < 0 || wanted > maxPages) {
            return -1;
        }
        if (delta > 0) {
            long added = (long) delta * PAGE_SIZE;
            if (charge != null && !charge.grow(added)) {
                return -1;
            }
            try {
                byte[] grown = Arrays.copyOf(bytes, (old + delta) * PAGE_SIZE);
                dirty = Arrays.copyOf(dirty, old + delta); // new pages are zero, which any image restores
                bytes = grown;
            } catch (OutOfMemoryError e) {
                // The budget is a promise about the heap, not a measurement: if the JVM cannot find the bytes, the grow fails.
                if (charge != null) {
                    charge.shrink(added);
                }
                return -1;
            }
        }
        return old;
    }

    /**
     * Charges this memory to {@code budget} from now on: its current size at once
     * ({@link pm.runtime.LimitExceededException} if that does not fit) and every grow after.
     */
    public void chargeTo(MemoryBudget budget) {
        if (charge != null) {
            throw new IllegalStateException("memory is already charged to a budget");
        }
        charge = budget.charge(this, bytes.length);
    }

    /** Whether page {@code page} of {@code memory} is all zero (a vectorised compare). */
    public static boolean isZeroPage(byte[] memory, int page) {
        int from = page * PAGE_SIZE;
        return Arrays.mismatch(memory, from, from + PAGE_SIZE, ZERO_PAGE, 0, PAGE_SIZE) < 0;
    }

    /** Records a write of {@code length} bytes at {@code offset} made outside the interpreter. */
    public void markDirty(int offset, int length) {
        if (length > 0) {
            Arrays.fill(dirty, offset / PAGE_SIZE, (int) (((long) offset + length - 1) / PAGE_SIZE) + 1, (byte) 1);
        }
    }

    /** The pages written since the last call (all of them if stores are not tracked), and starts afresh. */
    public BitSet takeDirtyPages() {
        BitSet pages = new BitSet(dirty.length);
        if (!STORE_BARRIER) {
            pages.set(0, dirty.length);
            return pages;
        }
        for (int p = 0; p < dirty.length; p++) {
            if (dirty[p] != 0) {
                pages.set(p);
            }
        }
        Arrays.fill(dirty, (byte) 0);
        return pages;
    }

    /** Replaces the contents on restore: a fresh zeroed array of {@code pages} pages. */
    void resetTo(int pages) {
        adopt(new byte[checkedSize(pages) * PAGE_SIZE]);
    }

    /** Takes {@code contents} (whole pages, read from an image) as the memory, without copying; nothing is dirty. */
    void adopt(byte[] contents) {
        int pages = checkedSize(contents.length / PAGE_SIZE);
        if (contents.length % PAGE_SIZE != 0) {
            throw new pm.runtime.StateMismatchException("memory contents of " + contents.length + " bytes are not whole pages");
        }
        bytes = contents;
        dirty = new byte[pages];
    }

    private int checkedSize(int pages) {
        if (pages > maxPages) {
            throw new pm.runtime.StateMismatchException(
                    "state has " + pages + " memory pages, more than the limit of " + maxPages);
        }
        return pages;
    }
}
