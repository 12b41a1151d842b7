package pm.agent.migration;

import com.google.protobuf.UnsafeByteOperations;
import java.util.BitSet;
import java.util.function.Consumer;
import pm.runtime.interp.MemoryInstance;
import pm.v1.PageRun;

/**
 * Cuts a set of memory pages into {@link PageRun} frames of at most {@link #MAX_RUN} pages:
 * consecutive non-zero pages with their bytes, consecutive zero pages as an empty run. Stateless.
 */
final class PageRuns {
    /**
     * 256 KiB of page data per frame. Each received message is parsed into one array, and at 1 MiB
     * or more G1 makes those humongous objects: with 2 MiB frames a 1 GiB move triggered 130-140
     * collections on the target.
     */
    static final int MAX_RUN = 4;
    /** Zero pages travel as counts without data, so their runs can be long. */
    static final int MAX_ZERO_RUN = 1024;

    private static final int PAGE = MemoryInstance.PAGE_SIZE;

    private PageRuns() {}

    /**
     * Emits the pages of {@code pages} (below {@code memoryPages}) read from {@code memory}; zero
     * pages are skipped when {@code skipZero} (a first round: the target starts from zeros).
     * Returns the number of pages emitted.
     */
    static long emit(byte[] memory, int memoryPages, BitSet pages, boolean skipZero, Consumer<PageRun> out) {
        long emitted = 0;
        int p = pages.nextSetBit(0);
        while (p >= 0 && p < memoryPages) {
            boolean zero = MemoryInstance.isZeroPage(memory, p);
            int run = 1;
            int max = zero ? MAX_ZERO_RUN : MAX_RUN;
            while (run < max
                    && p + run < memoryPages
                    && pages.get(p + run)
                    && MemoryInstance.isZeroPage(memory, p + run) == zero) {
                run++;
            }
            if (!(zero && skipZero)) {
                PageRun.Builder b =
                        PageRun.newBuilder().setFirst(p).setCount(run).setMemoryPages(memoryPages);
                if (!zero) {
                    // Not copied: a page written after this read is dirty again and goes in a later round.
                    b.setData(UnsafeByteOperations.unsafeWrap(memory, p * PAGE, run * PAGE));
                }
                out.accept(b.build());
                emitted += run;
            }
            p = pages.nextSetBit(p + run);
        }
        return emitted;
    }
}
