package pm.agent.channel;

import io.grpc.Channel;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRef;
import pm.v1.ProcessState;

/**
 * For agents without ZooKeeper: asks a configured list of peer agents, in order, whether they host
 * the process ({@code Get}), and names the first that holds a live copy. Thread-safe; the list may
 * be replaced at any time (a test learns its agents' ports only once they serve).
 */
public final class StaticPeersLocator implements ProcessLocator {
    private static final long ASK_TIMEOUT_MILLIS = 2_000;

    private final Function<String, ? extends Channel> channels;
    private final List<String> peers = new CopyOnWriteArrayList<>();

    /** {@code channels}: the channel to an agent by its host:port. */
    public StaticPeersLocator(Function<String, ? extends Channel> channels) {
        this.channels = channels;
    }

    public void peers(List<String> addresses) {
        peers.clear();
        peers.addAll(addresses);
    }

    @Override
    public Optional<String> addressOf(String processId) {
        for (String peer : peers) {
            try {
                ProcessInfo info = NodeAgentGrpc.newBlockingStub(channels.apply(peer))
                        .withDeadlineAfter(ASK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                        .get(ProcessRef.newBuilder().setProcessId(processId).build());
                if (isLive(info.getState())) {
                    return Optional.of(peer);
                }
            } catch (RuntimeException notThereOrDown) {
                // the next peer may know
            }
        }
        return Optional.empty();
    }

    private static boolean isLive(ProcessState s) {
        return s == ProcessState.PROCESS_STATE_RUNNING
                || s == ProcessState.PROCESS_STATE_FROZEN
                || s == ProcessState.PROCESS_STATE_MIGRATING
                || s == ProcessState.PROCESS_STATE_PREPARED
                || s == ProcessState.PROCESS_STATE_SUSPENDED;
    }
}
