package pm.agent.migration;

/** The flow-control limits of a migration stream. */
public final class TransferWindow {
    /** Bytes the source may have in flight: 32 MiB keeps loopback busy while the target copies and stages. */
    static final long BYTES = 32L << 20;

    /**
     * The HTTP/2 flow-control window of agent connections. With gRPC's 1 MiB default the transport
     * stopped taking page frames while the target handled the one before, and the source sat idle.
     */
    public static final int HTTP2_BYTES = 16 << 20;

    /** Bytes a source may queue in its transport past the point where it stopped being ready. */
    static final long UNREADY_BYTES = 4L << 20;

    private TransferWindow() {}
}
