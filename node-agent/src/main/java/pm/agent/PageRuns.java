package pm.agent;

import com.google.protobuf.ByteString;
import java.util.BitSet;
import java.util.function.Consumer;
import pm.runtime.interp.MemoryInstance;
import pm.v1.PageRun;

/**
 * Cuts a set of memory pages into {@link PageRun} frames of at most {@link #MAX_RUN} pages:
 * consecutive non-zero pages with their bytes, consecutive zero pages as an empty run. Stateless.
 */
final class PageRuns {
    /** 2 MiB of pages per frame: under gRPC's default 4 MiB message limit with room to spare. */
    static final int MAX_RUN = 32;
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
            while (run < MAX_RUN && p + run < memoryPages && pages.get(p + run)
                    && MemoryInstance.isZeroPage(memory, p + run) == zero) {
                run++;
            }
            if (!(zero && skipZero)) {
                PageRun.Builder b = PageRun.newBuilder().setFirst(p).setCount(run).setMemoryPages(memoryPages);
                if (!zero) {
                    b.setData(ByteString.copyFrom(memory, p * PAGE, run * PAGE));
                }
                out.accept(b.build());
                emitted += run;
            }
            p = pages.nextSetBit(p + run);
        }
        return emitted;
    }
}
