package pm.client;

/**
 * Which part of a process's combined output {@link ClusterClient#logs(String, LogOptions, java.util.function.Consumer)}
 * delivers: what is written so far ({@link #written()}, the default) or everything until the process
 * ends ({@link #follow()}), from byte 0 unless {@link #from(long)} says otherwise. Immutable; the
 * {@code from} method returns a copy.
 */
public final class LogOptions {
    private final boolean follow;
    private final long fromOffset;

    private LogOptions(boolean follow, long fromOffset) {
        if (fromOffset < 0) {
            throw new IllegalArgumentException("a log offset is a byte position, not " + fromOffset);
        }
        this.follow = follow;
        this.fromOffset = fromOffset;
    }

    /** The output written so far, then the stream ends. */
    public static LogOptions written() {
        return new LogOptions(false, 0);
    }

    /** The output written so far and then each new chunk, across migrations, until the process ends. */
    public static LogOptions follow() {
        return new LogOptions(true, 0);
    }

    /** The same options, starting at byte {@code offset} of the combined output. */
    public LogOptions from(long offset) {
        return new LogOptions(follow, offset);
    }

    /** Whether the stream goes on until the process ends. */
    public boolean isFollow() {
        return follow;
    }

    /** The first byte delivered. */
    public long fromOffset() {
        return fromOffset;
    }

    @Override
    public String toString() {
        return (follow ? "follow" : "written") + " from " + fromOffset;
    }
}
