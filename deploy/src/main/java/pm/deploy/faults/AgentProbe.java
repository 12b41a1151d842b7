package pm.deploy.faults;

import io.grpc.ManagedChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import pm.common.net.GrpcTransport;
import pm.deploy.ChildJvm;
import pm.deploy.LocalCluster;
import pm.v1.CheckpointRequest;
import pm.v1.ListRequest;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;

/**
 * Asks the agents themselves, not the coordinator, what they hold: the agents' {@code List} call,
 * one channel per agent address (an agent restarted on another port gets a new one), a short
 * deadline so that a stopped agent cannot hold the suite. Thread-safe.
 */
final class AgentProbe implements AutoCloseable {
    private final LocalCluster cluster;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    AgentProbe(LocalCluster cluster) {
        this.cluster = cluster;
    }

    private GrpcTransport transport() {
        try {
            return cluster.nodeTransport();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot issue the probe's certificate", e);
        }
    }

    /** Every process each live agent lists, by agent name; an agent that did not answer in time is missing. */
    Map<String, Map<String, ProcessInfo>> snapshot(long deadlineMillis) {
        Map<String, Map<String, ProcessInfo>> all = new LinkedHashMap<>();
        for (ChildJvm agent : cluster.agents()) {
            if (!agent.isAlive()) {
                continue;
            }
            try {
                all.put(agent.name(), list(agent, deadlineMillis));
            } catch (RuntimeException e) {
                // not answering (stopped, restarting): not counted either way
            }
        }
        return all;
    }

    /** What {@code agent} holds, by process id; throws if it does not answer within {@code deadlineMillis}. */
    Map<String, ProcessInfo> list(ChildJvm agent, long deadlineMillis) {
        Map<String, ProcessInfo> mine = new LinkedHashMap<>();
        for (ProcessInfo p : stub(agent)
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .list(ListRequest.getDefaultInstance())
                .getProcessesList()) {
            mine.put(p.getProcessId(), p);
        }
        return mine;
    }

    /** Asks {@code agent} itself for an incremental checkpoint of {@code processId}, as a leader's call does. */
    void checkpoint(ChildJvm agent, String processId) {
        stub(agent)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .checkpoint(CheckpointRequest.newBuilder()
                        .setProcessId(processId)
                        .setIncremental(true)
                        .build());
    }

    Optional<ProcessInfo> find(ChildJvm agent, String processId) {
        return Optional.ofNullable(list(agent, 5_000).get(processId));
    }

    private NodeAgentGrpc.NodeAgentBlockingStub stub(ChildJvm agent) {
        ManagedChannel c = channels.computeIfAbsent(
                agent.address(), a -> transport().channel(a).build());
        return NodeAgentGrpc.newBlockingStub(c);
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
