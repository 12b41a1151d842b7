package pm.runtime.interp;

import java.util.Arrays;
import java.util.BitSet;

/**
 * A linear memory. Representation: one heap byte array with reserved capacity, of which the first
 * {@link #byteSize()} bytes are the memory; the rest is zero and becomes memory when the guest
 * grows. Capacity grows geometrically (by half, at least {@link #MIN_RESERVE} pages, never past
 * the maximum), so growing to n pages copies O(n) bytes in all however small the steps, where an
 * exactly sized array copied the whole memory on every grow (a guest growing to 1.8 GiB page by
 * page took minutes). The price is an explicit bound check against the size on every access; the
 * access itself then goes through Unsafe ({@link #getInt} and friends), so the JVM's own check
 * against the array's length is not paid as well, and the interpreter measured no slower than with
 * the exactly sized array (bzip2, five interleaved runs each). The other candidate, memory in
 * chunks, would cost a second load per access and change every host-side reader.
 *
 * <p>Beside it, dirty bytes that every write sets (stores after they succeed, bulk operations, host
 * writes through {@link #markDirty}), so an incremental image or a pre-copy round sends only the
 * pages written since the last {@link #takeDirtyPages}. Two per page: a write whose first byte is in
 * page p and last in page q (p or p + 1) sets byte p + q ({@link #slot}), so a store marks once
 * wherever it lands: byte 2p says page p was written, byte 2p + 1 that pages p and p + 1 were. The interpreter always
 * marks. Compiled code comes in two variants, with and without the marks (which cost bzip2
 * about a tenth of its time in compiled code, {@code CompiledBarrierBench}): like a hypervisor's dirty log, the marks are
 * paid only while someone reads them. The first {@link #takeDirtyPages} turns the log on, and the
 * machine runs the marking variant from its next slice; the log lapses when no one has taken pages
 * for {@link #LOG_LAPSE_NANOS}, and the machine goes back to the unmarked variant. While unmarked
 * code may have run, the marks are incomplete and a take reports every page.
 * Owned by the thread running its machine.
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

    /** How long the dirty log stays on after the last take: longer than any checkpoint interval in use. */
    static final long LOG_LAPSE_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(5);

    /** Smallest reservation step in pages: many tiny grows cost one copy per 64 pages at most. */
    static final int MIN_RESERVE = 64;

    private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE]; // never written

    // Access to the array by index, little-endian, for the interpreter and compiled code. Callers
    // check the access against the memory's size first (which never exceeds the array's length),
    // so with Unsafe the array's own bound check is not paid a second time; without Unsafe, or on
    // a big-endian host, through VarHandles, checked again.
    static final sun.misc.Unsafe U = unsafe();
    static final long BASE = U == null ? 0 : U.arrayBaseOffset(byte[].class);
    static final boolean DIRECT = U != null
            && java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
            && !"false".equals(System.getProperty("pm.runtime.unsafeMemory"));
    private static final java.lang.invoke.VarHandle SHORT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(short[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private static sun.misc.Unsafe unsafe() {
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static byte getByte(byte[] m, int i) {
        return DIRECT ? U.getByte(m, BASE + i) : m[i];
    }

    static short getShort(byte[] m, int i) {
        return DIRECT ? U.getShort(m, BASE + i) : (short) SHORT.get(m, i);
    }

    static int getInt(byte[] m, int i) {
        return DIRECT ? U.getInt(m, BASE + i) : (int) INT.get(m, i);
    }

    static long getLong(byte[] m, int i) {
        return DIRECT ? U.getLong(m, BASE + i) : (long) LONG.get(m, i);
    }

    static void putByte(byte[] m, int i, byte v) {
        if (DIRECT) {
            U.putByte(m, BASE + i, v);
        } else {
            m[i] = v;
        }
    }

    static void putShort(byte[] m, int i, short v) {
        if (DIRECT) {
            U.putShort(m, BASE + i, v);
        } else {
            SHORT.set(m, i, v);
        }
    }

    static void putInt(byte[] m, int i, int v) {
        if (DIRECT) {
            U.putInt(m, BASE + i, v);
        } else {
            INT.set(m, i, v);
        }
    }

    static void putLong(byte[] m, int i, long v) {
        if (DIRECT) {
            U.putLong(m, BASE + i, v);
        } else {
            LONG.set(m, i, v);
        }
    }

    /** The backing array: memory below {@link #size}, zeros above (the reserve). */
    byte[] bytes;
    /** The memory's size in bytes, a multiple of the page size. */
    int size;
    /**
     * Non-zero where a write landed since the last {@link #takeDirtyPages}: two per page of the
     * backing array, byte {@link #slot} of a write's first and last byte (see the class comment).
     * The first store of a group in compiled code marks for the group before the others are
     * bound-checked ({@link JitStoreMarks}), so when a later store of the group traps its mark may
     * say "the last page and the one after it": a take reads that as the last page, and a grow
     * moves it to the last page alone before the next page becomes part of the memory.
     */
    byte[] dirty;
    /** Whether someone reads the marks (see the class comment), and when it last did. */
    private boolean logging;

    private long lastTakeNanos;
    /** {@link #LOG_LAPSE_NANOS}, but for tests that need the log to lapse at once. */
    long logLapseNanos = LOG_LAPSE_NANOS;
    /** False once code that does not mark may have written since the last take. */
    private boolean marksComplete = true;

    private final int declaredMax;
    private final int maxPages;
    /** What this memory holds of its host's budget, or null if it is not accounted. */
    private MemoryBudget.Charge charge;

    public MemoryInstance(int initialPages, int declaredMax, int pageLimit) {
        this.declaredMax = declaredMax;
        this.maxPages = Math.min(Math.min(declaredMax, pageLimit), MAX_PAGES);
        if (initialPages > maxPages) {
            throw new pm.runtime.LimitExceededException(
                    "memory of " + initialPages + " pages exceeds the limit of " + maxPages + " pages");
        }
        this.bytes = new byte[initialPages * PAGE_SIZE];
        this.size = bytes.length;
        this.dirty = new byte[2 * initialPages];
        markDirty(0, size); // a new memory differs from every image
    }

    public int pages() {
        return size / PAGE_SIZE;
    }

    /** The memory's size in bytes: {@code pages() * PAGE_SIZE}. */
    public int byteSize() {
        return size;
    }

    /** The declared maximum in pages (65536 when the module declares none). */
    public int declaredMax() {
        return declaredMax;
    }

    /**
     * The live backing array; replaced on growth, so never cache it across a call or grow. Only its
     * first {@link #byteSize()} bytes are the memory: it may be longer (the reserve, all zero, not
     * to be written). Write through it only with {@link #markDirty}.
     */
    public byte[] bytes() {
        return bytes;
    }

    /**
     * The backing array trimmed to exactly {@link #byteSize()} bytes, for writers that take the
     * page count from the array's length (images). Drops the reserve, so it copies once after a
     * growth and not again until the next.
     */
    public byte[] exactBytes() {
        if (bytes.length != size) {
            bytes = Arrays.copyOf(bytes, size);
            dirty = Arrays.copyOf(dirty, 2 * (size / PAGE_SIZE));
        }
        return bytes;
    }

    /**
     * Grows by {@code delta} pages; returns the old size in pages, or -1 if that is not possible:
     * past the module's maximum, past the process's page limit, past the host's memory budget
     * ({@link #chargeTo}; it counts pages, not the reserve behind them), or when the JVM cannot
     * allocate the larger array. The guest decides what -1 means (C's malloc returns NULL); the
     * process itself goes on.
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
            int pages = old + delta;
            if ((long) pages * PAGE_SIZE > bytes.length) {
                int capacity = bytes.length / PAGE_SIZE;
                int reserved =
                        (int) Math.min(maxPages, Math.max(pages, capacity + Math.max(capacity / 2L, MIN_RESERVE)));
                try {
                    byte[] grown =
                            Arrays.copyOf(bytes, reserved * PAGE_SIZE); // the reserve is zero, as new pages must be
                    // new pages are zero, which any image restores
                    dirty = Arrays.copyOf(dirty, 2 * reserved);
                    bytes = grown;
                } catch (OutOfMemoryError e) {
                    // The budget is a promise about the heap, not a measurement: if the JVM cannot find the bytes, the
                    // grow fails.
                    if (charge != null) {
                        charge.shrink(added);
                    }
                    return -1;
                }
            }
            size = pages * PAGE_SIZE;
            // new pages are zero and clean: a mark past the old last page (see dirty) stays on that page only
            if (old > 0 && dirty[2 * old - 1] != 0) {
                dirty[2 * old - 2] = 1;
            }
            Arrays.fill(dirty, Math.max(0, 2 * old - 1), 2 * pages, (byte) 0);
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
        charge = budget.charge(this, size);
    }

    /** Whether page {@code page} of {@code memory} is all zero (a vectorised compare). */
    public static boolean isZeroPage(byte[] memory, int page) {
        int from = page * PAGE_SIZE;
        return Arrays.mismatch(memory, from, from + PAGE_SIZE, ZERO_PAGE, 0, PAGE_SIZE) < 0;
    }

    /**
     * The dirty byte of a write whose first byte is at {@code first} and last at {@code last}, at
     * most a page apart (an index of the memory, so not negative): the sum of their pages.
     */
    static int slot(int first, int last) {
        return (first >>> 16) + (last >>> 16);
    }

    /** Records a write of {@code length} bytes at {@code offset} made outside the interpreter. */
    public void markDirty(int offset, int length) {
        if (length > 0) {
            // every byte from the first page's to the last page's: each says pages within the range
            int last = (int) (((long) offset + length - 1) / PAGE_SIZE);
            Arrays.fill(dirty, 2 * (offset / PAGE_SIZE), 2 * last + 1, (byte) 1);
        }
    }

    /**
     * The pages written since the last call (all of them if stores were not all marked), and starts
     * afresh, with the dirty log on.
     */
    public BitSet takeDirtyPages() {
        logging = true;
        lastTakeNanos = System.nanoTime();
        int count = pages();
        BitSet pages = new BitSet(count);
        if (!STORE_BARRIER || !marksComplete) {
            pages.set(0, count);
            Arrays.fill(dirty, 0, 2 * count, (byte) 0);
            marksComplete = true;
            return pages;
        }
        for (int p = 0; p < count; p++) {
            // written in p, or across p's start, or across its end
            if ((dirty[2 * p] | dirty[2 * p + 1] | (p > 0 ? dirty[2 * p - 1] : 0)) != 0) {
                pages.set(p);
            }
        }
        Arrays.fill(dirty, 0, 2 * count, (byte) 0);
        return pages;
    }

    /**
     * Whether code that runs from now on must mark its stores: the dirty log is on and has not
     * lapsed at {@code nowNanos}. A restored memory starts with the log on, since its owner
     * tracks changes against the image it came from.
     */
    boolean logging(long nowNanos) {
        if (logging && nowNanos - lastTakeNanos > logLapseNanos) {
            logging = false;
        }
        return STORE_BARRIER && logging;
    }

    /** Called before code that does not mark its stores runs: the next take reports every page. */
    void unmarkedWrites() {
        marksComplete = false;
    }

    /** Replaces the contents on restore: a fresh zeroed array of {@code pages} pages. */
    void resetTo(int pages) {
        adopt(new byte[checkedSize(pages) * PAGE_SIZE]);
    }

    /** Takes {@code contents} (whole pages, read from an image) as the memory, without copying; nothing is dirty. */
    void adopt(byte[] contents) {
        adopt(contents, contents.length / PAGE_SIZE);
    }

    /**
     * Takes the first {@code pages} pages of {@code contents} as the memory, without copying, and
     * the rest of the array as the reserve (zeroed here, since a grow must reveal zeros).
     */
    void adopt(byte[] contents, int pages) {
        checkedSize(pages);
        if (contents.length % PAGE_SIZE != 0 || (long) pages * PAGE_SIZE > contents.length) {
            throw new pm.runtime.StateMismatchException(
                    "memory contents of " + contents.length + " bytes do not hold " + pages + " whole pages");
        }
        Arrays.fill(contents, pages * PAGE_SIZE, contents.length, (byte) 0);
        bytes = contents;
        size = pages * PAGE_SIZE;
        dirty = new byte[2 * (contents.length / PAGE_SIZE)];
        logging = true;
        lastTakeNanos = System.nanoTime();
        marksComplete = true;
    }

    private int checkedSize(int pages) {
        if (pages > maxPages) {
            throw new pm.runtime.StateMismatchException(
                    "state has " + pages + " memory pages, more than the limit of " + maxPages);
        }
        return pages;
    }
}
