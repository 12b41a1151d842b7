package pm.client;

/**
 * What kind of checkpoint {@link ClusterClient#checkpoint(String, CheckpointOptions)} takes: a full one
 * (the default, {@link ClusterClient#checkpoint(String)}), or an incremental one holding only the pages
 * written since the last checkpoint. Immutable.
 */
public final class CheckpointOptions {
    private static final CheckpointOptions FULL = new CheckpointOptions(false);
    private static final CheckpointOptions INCREMENTAL = new CheckpointOptions(true);

    private final boolean incremental;

    private CheckpointOptions(boolean incremental) {
        this.incremental = incremental;
    }

    /** A checkpoint that stands alone. */
    public static CheckpointOptions full() {
        return FULL;
    }

    /** A checkpoint of the pages changed since the previous one; restoring it needs that one too. */
    public static CheckpointOptions incremental() {
        return INCREMENTAL;
    }

    public boolean isIncremental() {
        return incremental;
    }

    @Override
    public String toString() {
        return incremental ? "incremental" : "full";
    }
}
