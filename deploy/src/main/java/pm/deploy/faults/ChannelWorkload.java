package pm.deploy.faults;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import pm.client.SpawnOptions;
import pm.deploy.ChildJvm;
import pm.v1.CheckpointPolicy;
import pm.v1.ClusterSpawnRequest;
import pm.v1.LogChunk;
import pm.v1.ProcessInfo;

/**
 * The channel scenarios' workload: the node agent's producer guest streaming {@code MESSAGES}
 * numbered messages to its consumer guest, and what must hold at the end — the consumer printed
 * every message once, in order, and the producer heard its reply. Stateless.
 */
final class ChannelWorkload {
    static final int MESSAGES = 20_000;
    /** pm.runtime.chan.Channels.MAX_INBOX_MESSAGES: a frozen receiver accepts this many, then no more. */
    static final int INBOX_LIMIT = 4096;
    /** pm.runtime.chan.Channels.MAX_OUTBOX_MESSAGES: a sender keeps this many not yet durable, then waits. */
    static final int OUTBOX_LIMIT = 8192;

    private ChannelWorkload() {}

    /** The consumer {@code id} on {@code node}, checkpointed every {@code checkpoint} (null: no policy). */
    static ClusterSpawnRequest consumer(String id, String node, Duration checkpoint) throws IOException {
        return spawn("consumer", id, node, List.of(Integer.toString(MESSAGES), "0"), checkpoint);
    }

    /** The producer {@code id} on {@code node} sending to {@code to}, checkpointed every {@code checkpoint} (null: no policy). */
    static ClusterSpawnRequest producer(String id, String node, String to, Duration checkpoint) throws IOException {
        return spawn("producer", id, node, List.of(Integer.toString(MESSAGES), to, "0"), checkpoint);
    }

    private static ClusterSpawnRequest spawn(
            String guest, String id, String node, List<String> args, Duration checkpoint) throws IOException {
        ClusterSpawnRequest r = SpawnOptions.builder(module(guest), guest)
                .withProcessId(id)
                .withArgs(args)
                .onNode(node, false)
                .build()
                .toRequest();
        if (checkpoint == null) {
            return r;
        }
        return r.toBuilder()
                .setSpec(r.getSpec().toBuilder()
                        .setCheckpointPolicy(CheckpointPolicy.newBuilder().setIntervalMillis(checkpoint.toMillis())))
                .build();
    }

    private static byte[] module(String guest) throws IOException {
        try (InputStream in = ChannelWorkload.class.getResourceAsStream("/" + guest + ".wasm")) {
            if (in == null) {
                throw new IOException(guest + ".wasm is not on the class path (node-agent/src/test/guest/wasm)");
            }
            return in.readAllBytes();
        }
    }

    static ProcessInfo info(FaultCluster cluster, ChildJvm agent, String id) {
        return cluster.probe()
                .find(agent, id)
                .orElseThrow(() -> new ScenarioFailure(id + " is not on " + agent.name()));
    }

    /** The consumer {@code receiver} printed every message of {@code sender} once, in order; the sender heard back. */
    static void requireEveryMessageOnce(FaultCluster cluster, String receiver, String sender) {
        StringBuilder b = new StringBuilder("received:\n");
        for (int i = 1; i <= MESSAGES; i++) {
            b.append("msg ").append(i).append(" from ").append(sender).append('\n');
        }
        String expected = b.append("end ").toString();
        String out = stdout(cluster, receiver);
        if (!out.startsWith(expected)) {
            int at = 0;
            while (at < Math.min(out.length(), expected.length()) && out.charAt(at) == expected.charAt(at)) {
                at++;
            }
            int lineStart = out.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
            throw new ScenarioFailure(receiver + "'s output departs from every message once, in order, at: "
                    + out.substring(lineStart, Math.min(out.length(), lineStart + 60))
                            .replace('\n', '|'));
        }
        String senderOut = stdout(cluster, sender);
        if (!senderOut.endsWith(": bye from " + receiver + "\n")) {
            throw new ScenarioFailure(sender + " printed " + senderOut.strip());
        }
    }

    private static String stdout(FaultCluster cluster, String id) {
        StringBuilder out = new StringBuilder();
        cluster.client().logs(id, (LogChunk c) -> {
            if (c.getStream() == LogChunk.Stream.STREAM_STDOUT) {
                out.append(c.getData().toString(StandardCharsets.UTF_8));
            }
        });
        return out.toString();
    }
}
