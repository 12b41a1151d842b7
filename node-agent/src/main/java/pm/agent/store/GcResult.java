package pm.agent.store;

/**
 * What one garbage collection did: chunks kept because a manifest names them, chunks deleted
 * because none does and the bytes that freed, and temporary files of interrupted writes removed.
 */
public record GcResult(int liveChunks, int deletedChunks, long deletedBytes, int deletedTempFiles) {
    public GcResult {
        if (liveChunks < 0 || deletedChunks < 0 || deletedBytes < 0 || deletedTempFiles < 0) {
            throw new IllegalArgumentException("negative count in a GC result");
        }
    }
}
