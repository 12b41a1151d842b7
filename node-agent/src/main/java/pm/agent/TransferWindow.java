package pm.agent;

/** The flow-control window of a migration stream: bytes the source may have in flight. */
final class TransferWindow {
    /** 32 MiB: sixteen 2 MiB page frames, enough to keep loopback busy while the target copies and stages. */
    static final long BYTES = 32L << 20;

    private TransferWindow() {}
}
