package pm.deploy.soak;

import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import pm.client.ClusterClient;
import pm.common.net.GrpcTransport;
import pm.deploy.soak.SoakModel.Phase;
import pm.deploy.soak.SoakModel.Tracked;
import pm.v1.ClusterProcess;
import pm.v1.ListRequest;
import pm.v1.NodeAgentGrpc;
import pm.v1.ProcessInfo;
import pm.v1.ProcessState;

/**
 * Checks the model against the cluster while no call is in flight (the caller holds the write side
 * of the driver's gate): the coordinator's list, and each agent's own list asked directly. For every
 * process the model holds: listed by the coordinator with the model's owner, hosted by that agent and
 * by no other; in the state the calls left it in (a running one may have finished: it becomes due for
 * reaping). Every killed process: gone from the coordinator and from every agent. Anything the
 * coordinator lists that the driver never spawned is a stray. Runs on the auditing thread.
 */
final class SoakAudit implements AutoCloseable {
    /** States in which an agent holds a copy that runs or could run again. */
    private static final Set<ProcessState> HELD = EnumSet.of(
            ProcessState.PROCESS_STATE_RUNNING,
            ProcessState.PROCESS_STATE_FROZEN,
            ProcessState.PROCESS_STATE_SUSPENDED,
            ProcessState.PROCESS_STATE_MIGRATING,
            ProcessState.PROCESS_STATE_PREPARED,
            ProcessState.PROCESS_STATE_EXITED,
            ProcessState.PROCESS_STATE_FAILED);

    private final ClusterClient client;
    private final java.util.function.Supplier<Map<String, String>> agentAddresses;
    private final GrpcTransport transport;
    /** By address: an agent restarted by a fault listens on a new port. */
    private final Map<String, ManagedChannel> channels = new HashMap<>();

    private final SoakModel model;
    /** What the audit in progress found. */
    private List<Findings.Finding> found = new ArrayList<>();

    private int audits;
    /**
     * Copies still migrating out on a node the record has left (id@node → consecutive audits that saw
     * it): the source of a committed migration holds its frozen copy until it is told the decision.
     */
    private Map<String, Integer> handingOff = new HashMap<>();

    private Map<String, Integer> handingOffNow = new HashMap<>();
    /** Audits (5 s apart) a source may wait for its migration's decision before its copy counts as a second one. */
    private static final int HANDOFF_AUDITS = 3;

    /** {@code agentAddresses}: node name → the agent's gRPC address now, reached through {@code transport}. */
    SoakAudit(
            ClusterClient client,
            java.util.function.Supplier<Map<String, String>> agentAddresses,
            GrpcTransport transport,
            SoakModel model) {
        this.client = client;
        this.agentAddresses = agentAddresses;
        this.transport = transport;
        this.model = model;
    }

    int audits() {
        return audits;
    }

    /** Checks once; returns what it found (the caller decides whether it counts). */
    List<Findings.Finding> audit() {
        audits++;
        found = new ArrayList<>();
        Map<String, ClusterProcess> listed = new HashMap<>();
        for (ClusterProcess p : client.list()) {
            listed.put(p.getProcessId(), p);
        }
        Map<String, List<String>> hosts = new HashMap<>(); // process id → nodes holding a copy
        Map<String, ProcessInfo> onOwner = new HashMap<>();
        for (Map.Entry<String, String> agent : agentAddresses.get().entrySet()) {
            ManagedChannel channel = channels.computeIfAbsent(
                    agent.getValue(), a -> transport.channel(a).build());
            List<ProcessInfo> infos = NodeAgentGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(60, TimeUnit.SECONDS)
                    .list(ListRequest.getDefaultInstance())
                    .getProcessesList();
            for (ProcessInfo info : infos) {
                if (HELD.contains(info.getState())) {
                    hosts.computeIfAbsent(info.getProcessId(), k -> new ArrayList<>())
                            .add(agent.getKey());
                    onOwner.put(info.getProcessId() + "@" + agent.getKey(), info);
                }
            }
        }

        for (Map.Entry<String, Tracked> pending : model.takePendingSpawns().entrySet()) {
            ClusterProcess p = listed.get(pending.getKey());
            if (p != null) { // the spawn took effect although its call failed: the process is ours
                pending.getValue().owner = p.getNode();
                pending.getValue().uncertain = true;
                model.add(pending.getValue());
            }
        }
        handingOffNow = new HashMap<>();
        for (Tracked t : model.live().values()) {
            check(t, listed.get(t.id), hosts.getOrDefault(t.id, List.of()), onOwner);
        }
        for (String id : model.killed()) {
            List<String> left = new ArrayList<>();
            for (String holder : hosts.getOrDefault(id, List.of())) {
                if (!stillHandingOff(id, holder, onOwner)) {
                    left.add(holder);
                }
            }
            if (listed.containsKey(id) || !left.isEmpty()) {
                found(
                        Findings.Kind.NOT_GONE,
                        id + " was killed but is listed by " + (listed.containsKey(id) ? "the coordinator" : "")
                                + " agents " + left);
            }
        }
        handingOff = handingOffNow;
        for (String id : listed.keySet()) {
            if (!model.known(id)) {
                found(
                        Findings.Kind.STRAY,
                        id + " is listed on " + listed.get(id).getNode() + " but the driver never spawned it");
            }
        }
        return found;
    }

    private void found(Findings.Kind kind, String detail) {
        found.add(new Findings.Finding(kind, detail));
    }

    private void check(Tracked t, ClusterProcess p, List<String> holders, Map<String, ProcessInfo> infos) {
        if (p == null || holders.isEmpty()) {
            found(
                    Findings.Kind.LOST,
                    t + ": " + (p == null ? "not listed by the coordinator" : "listed on " + p.getNode())
                            + "; hosted by " + (holders.isEmpty() ? "no agent" : holders));
            return;
        }
        List<String> copies = new ArrayList<>();
        for (String holder : holders) {
            if (holder.equals(p.getNode()) || !stillHandingOff(t.id, holder, infos)) {
                copies.add(holder);
            }
        }
        if (copies.size() > 1) {
            found(Findings.Kind.DUPLICATED, t + " is held by " + copies);
        }
        if (t.uncertain) { // a call about it failed: what the cluster says stands, as long as it is consistent
            t.owner = p.getNode();
            t.phase = phaseOf(p.getState(), t.phase);
            t.uncertain = false;
        }
        if (!p.getNode().equals(t.owner) || !holders.contains(t.owner)) {
            found(Findings.Kind.WRONG_OWNER, t + ": the coordinator records " + p.getNode() + ", held by " + holders);
            t.owner = p.getNode();
            return;
        }
        ProcessInfo info = infos.get(t.id + "@" + t.owner);
        ProcessState state = info.getState();
        Phase seen = phaseOf(state, t.phase);
        if (seen == t.phase) {
            return;
        }
        if (t.phase == Phase.RUNNING && seen == Phase.ENDED) {
            t.phase = Phase.ENDED;
            if (state == ProcessState.PROCESS_STATE_FAILED && !t.guestFailed) {
                t.guestFailed = true;
                found(Findings.Kind.GUEST_FAILED, t.id + ": " + info.getFailure());
            }
            return;
        }
        found(Findings.Kind.STATE_DRIFT, t + " is " + state + " on its owner");
        t.phase = seen;
    }

    /**
     * A source waiting for the decision of a migration that moved the record on (or whose process was
     * killed since) holds its frozen copy MIGRATING until it hears or reads the decision: tolerated for
     * {@link #HANDOFF_AUDITS} audits in a row.
     */
    private boolean stillHandingOff(String id, String holder, Map<String, ProcessInfo> infos) {
        if (infos.get(id + "@" + holder).getState() != ProcessState.PROCESS_STATE_MIGRATING) {
            return false;
        }
        int seen = handingOff.getOrDefault(id + "@" + holder, 0) + 1;
        handingOffNow.put(id + "@" + holder, seen);
        return seen < HANDOFF_AUDITS;
    }

    private static Phase phaseOf(ProcessState state, Phase otherwise) {
        return switch (state) {
            case PROCESS_STATE_RUNNING, PROCESS_STATE_MIGRATING -> Phase.RUNNING;
            case PROCESS_STATE_FROZEN, PROCESS_STATE_PREPARED -> Phase.FROZEN;
            case PROCESS_STATE_SUSPENDED -> Phase.SUSPENDED;
            case PROCESS_STATE_EXITED, PROCESS_STATE_FAILED -> Phase.ENDED;
            default -> otherwise;
        };
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
