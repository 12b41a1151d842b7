package pm.client.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import pm.client.ClusterClient;
import pm.client.EventOptions;
import pm.client.StreamHandle;

/**
 * {@code pmctl events}: the cluster's event stream, one line each, until interrupted or {@code --limit}
 * events; it follows a leader change without missing or repeating one.
 */
@Command(name = "events", description = "Stream cluster events (spawned, migrated, node joined, ...).")
final class EventsCommand extends ClusterCommand {
    @Option(names = "--process", paramLabel = "ID", defaultValue = "", description = "Only events about this process.")
    String process;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "0",
            description = "Stop after N events (default: never).")
    int limit;

    @Option(
            names = "--since",
            paramLabel = "INDEX",
            defaultValue = "-1",
            description = "First the kept events after INDEX (each line shows its index; 0: all kept), then new ones.")
    long since;

    @Override
    void run(ClusterClient client, Output output) throws Exception {
        CompletableFuture<Void> enough = new CompletableFuture<>();
        AtomicInteger seen = new AtomicInteger();
        try (StreamHandle stream = client.async().events(options(), e -> {
            output.printLine(e, Views.event(e));
            if (limit > 0 && seen.incrementAndGet() >= limit) {
                enough.complete(null);
            }
        })) {
            CompletableFuture.anyOf(stream.done(), enough).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** {@code --since} below 0 (its default) means only new events; an empty {@code --process} any process. */
    private EventOptions options() {
        EventOptions options = since < 0 ? EventOptions.newOnly() : EventOptions.after(since);
        return process.isEmpty() ? options : options.about(process);
    }
}
