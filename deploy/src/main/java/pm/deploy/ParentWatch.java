package pm.deploy;

import java.io.IOException;

/** Ends this JVM when its standard input closes: a child started by a launcher never outlives it. */
final class ParentWatch {
    private ParentWatch() {}

    static void exitWhenStdinCloses() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is expected; only the end matters
                }
            } catch (IOException ignored) {
                // closed as well
            }
            System.exit(0);
        }, "pm-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
