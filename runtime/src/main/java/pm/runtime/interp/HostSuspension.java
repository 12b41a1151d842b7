package pm.runtime.interp;

/** Thrown by a host function to park the machine before the call; see {@link HostFunction}. */
public final class HostSuspension extends RuntimeException {
    public HostSuspension(String reason) {
        super(reason, null, false, false);
    }
}
