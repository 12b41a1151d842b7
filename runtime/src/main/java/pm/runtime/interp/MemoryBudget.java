package pm.runtime.interp;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import pm.runtime.LimitExceededException;

/**
 * The bytes the host can give to linear memories, shared by every process charged to it: one per
 * agent (per JVM, {@link #forThisJvm}), so that guests together never grow past the heap and a
 * refused grow is {@code memory.grow} answering -1 rather than an OutOfMemoryError in the host.
 *
 * <p>A memory charged here ({@link MemoryInstance#chargeTo}) holds its size until it is garbage
 * collected: a process dropped without ceremony (migrated away, discarded after it ended) gives
 * its bytes back when its memory is collected, and no caller has to remember to release it.
 * Thread-safe: processes on every scheduler thread charge the same budget.
 */
public final class MemoryBudget {
    private static final Cleaner CLEANER = Cleaner.create();
    /**
     * Half the maximum heap: growing copies the array, so a grow briefly holds the old and the new
     * memory, and the agent needs heap of its own.
     */
    private static final MemoryBudget JVM =
            new MemoryBudget(Runtime.getRuntime().maxMemory() / 2);

    private final long capacity;
    private final AtomicLong reserved = new AtomicLong();

    public MemoryBudget(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("negative memory budget " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    /** The budget every process of this JVM is charged to unless it is given another. */
    public static MemoryBudget forThisJvm() {
        return JVM;
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes held by live memories now. */
    public long reserved() {
        return reserved.get();
    }

    /** Whole pages that could still be charged now. */
    public int pagesAvailable() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, capacity - reserved.get()) / MemoryInstance.PAGE_SIZE);
    }

    boolean tryReserve(long bytes) {
        for (; ; ) {
            long now = reserved.get();
            if (now + bytes > capacity) {
                return false;
            }
            if (reserved.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        reserved.addAndGet(-bytes);
    }

    /** Charges {@code bytes} for {@code owner}, given back when {@code owner} is collected; LimitExceeded if they do not fit. */
    Charge charge(Object owner, long bytes) {
        if (!tryReserve(bytes)) {
            throw new LimitExceededException("memory of " + bytes + " bytes does not fit the host's memory budget ("
                    + reserved() + " of " + capacity + " bytes in use)");
        }
        Charge c = new Charge(this, bytes);
        CLEANER.register(owner, c::releaseAll);
        return c;
    }

    /** What one memory holds of a budget. Refers to the budget, never to the memory, so the memory can be collected. */
    static final class Charge {
        private final MemoryBudget budget;
        private final AtomicLong bytes;

        private Charge(MemoryBudget budget, long bytes) {
            this.budget = budget;
            this.bytes = new AtomicLong(bytes);
        }

        boolean grow(long delta) {
            if (!budget.tryReserve(delta)) {
                return false;
            }
            bytes.addAndGet(delta);
            return true;
        }

        void shrink(long delta) {
            bytes.addAndGet(-delta);
            budget.release(delta);
        }

        private void releaseAll() {
            budget.release(bytes.getAndSet(0));
        }
    }
}
