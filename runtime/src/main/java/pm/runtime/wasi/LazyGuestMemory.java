package pm.runtime.wasi;

import pm.runtime.interp.Instance;

/** The caller's memory, looked up only by calls that touch memory. */
final class LazyGuestMemory {
    private final Instance caller;
    private GuestMemory memory;

    LazyGuestMemory(Instance caller) {
        this.caller = caller;
    }

    GuestMemory get() {
        if (memory == null) {
            memory = new GuestMemory(caller);
        }
        return memory;
    }
}
