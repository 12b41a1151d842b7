package pm.common.cluster;

import java.io.IOException;

/** Ends this JVM when its standard input closes: an agent, coordinator or ZooKeeper a launcher started never outlives it. */
public final class ParentWatch {
    private ParentWatch() {}

    public static void exitWhenStdinCloses() {
        Thread watcher = new Thread(
                () -> {
                    try {
                        while (System.in.read() >= 0) {
                            // nothing is expected; only the end matters
                        }
                    } catch (IOException ignored) {
                        // closed as well
                    }
                    System.exit(0);
                },
                "pm-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
