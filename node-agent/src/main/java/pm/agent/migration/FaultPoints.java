package pm.agent.migration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Named points in the migration protocol where a test can make this agent die as by kill -9
 * ({@code Runtime.halt}: no shutdown hooks, no flushing), to prove what survives each phase; or,
 * armed as {@code hold:POINT}, wait there — it writes {@code fault-held} in its data directory and
 * goes on once {@code fault-released} appears beside it — so that a test can cut the network at
 * exactly that moment. Inert unless the agent was started with a fault point. Immutable; a hold
 * blocks the thread that reached the point.
 */
public final class FaultPoints {
    static final String SOURCE_PRECOPY = "source.precopy";
    static final String SOURCE_FROZEN = "source.frozen";
    static final String SOURCE_FINAL_SENT = "source.final-sent";
    static final String SOURCE_BEFORE_COMMIT = "source.before-commit";
    static final String SOURCE_AFTER_COMMIT = "source.after-commit";
    static final String TARGET_PRECOPY = "target.precopy";
    static final String TARGET_FINAL = "target.final";
    static final String TARGET_PREPARED = "target.prepared";
    static final String TARGET_AFTER_COMMIT = "target.after-commit";

    private static final String HOLD = "hold:";

    private final String armed;
    private final Path dir;

    /** {@code armed}: a point, {@code hold:} and a point, or empty; {@code dir}: where a hold's files go. */
    public FaultPoints(String armed, Path dir) {
        this.armed = armed == null ? "" : armed;
        this.dir = dir;
    }

    void hit(String point) {
        if (armed.equals(point)) {
            System.err.println("fault point " + point + ": halting");
            Runtime.getRuntime().halt(137);
        }
        if (armed.equals(HOLD + point)) {
            hold(point);
        }
    }

    private void hold(String point) {
        Path released = dir.resolve("fault-released");
        System.err.println("fault point " + point + ": holding until " + released + " exists");
        try (WatchService watch = dir.getFileSystem().newWatchService()) {
            dir.register(
                    watch, StandardWatchEventKinds.ENTRY_CREATE); // before the check: a creation in between wakes it
            Files.writeString(dir.resolve("fault-held"), point);
            while (!Files.exists(released)) {
                WatchKey key = watch.poll(1, TimeUnit.SECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
