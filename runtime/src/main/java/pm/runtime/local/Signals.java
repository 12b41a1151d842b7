package pm.runtime.local;

import sun.misc.Signal;

/** Ctrl-C (SIGINT) and SIGTERM ask for a freeze instead of ending the JVM, when the run has an image to freeze into. */
final class Signals {
    private Signals() {}

    static void freezeOn(FreezeTrigger trigger) {
        for (String name : new String[] {"INT", "TERM"}) {
            Signal.handle(new Signal(name), s -> trigger.request());
        }
    }
}
