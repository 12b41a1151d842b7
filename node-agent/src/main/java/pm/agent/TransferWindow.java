package pm.agent;

/** The flow-control window of a migration stream: bytes the source may have in flight. */
final class TransferWindow {
    /** 16 MiB: eight 2 MiB page frames, enough to keep loopback busy while the target copies. */
    static final long BYTES = 16L << 20;

    private TransferWindow() {}
}
