package pm.runtime.wasi;

/** proc_exit: ends the process with a status; it unwinds the machine, which becomes idle. */
public final class ProcessExit extends RuntimeException {
    private final int status;

    public ProcessExit(int status) {
        super("process exited with status " + status, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
