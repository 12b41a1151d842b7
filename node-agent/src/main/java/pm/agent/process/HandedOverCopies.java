package pm.agent.process;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.agent.AgentException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.v1.BlobRef;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessSpec;

/**
 * The processes this agent handed over in committed migrations, each kept frozen in memory as it
 * left, with its output log, while the ownership record names the copy (until the new owner's first
 * durable checkpoint, or the coordinator's bound): if the target is lost before then, recovery
 * brings the process back here from that state ({@link #take}) and no work is lost but the target's.
 * Nothing is forced to disk for them: an agent that restarts holds none (the coordinator then falls
 * back to the last durable checkpoint). Any thread; each copy is owned by the map until taken.
 */
public final class HandedOverCopies {
    private static final Logger LOG = LoggerFactory.getLogger(HandedOverCopies.class);

    /** A process as a migration out of here handed it over; {@code process} is frozen, its channels sealed. */
    public record Copy(
            String processId,
            String migrationId,
            ProcessSpec spec,
            CompiledModule module,
            List<BlobRef> fileInputs,
            WasiProcess process,
            ProcessLog log) {}

    private final String node;
    private final Map<String, Copy> copies = new ConcurrentHashMap<>();

    /** {@code node}: this agent's name, as ownership records name the node keeping a copy. */
    public HandedOverCopies(String node) {
        this.node = node;
    }

    public void keep(Copy c) {
        Copy before = copies.put(c.processId(), c);
        if (before != null) {
            release(before);
        }
    }

    public boolean holds(String processId) {
        return copies.containsKey(processId);
    }

    public int size() {
        return copies.size();
    }

    /** Takes the copy {@code migrationId} left of {@code processId} (the caller now owns it). */
    public Copy take(String processId, String migrationId) {
        Copy c = copies.get(processId);
        if (c == null || !c.migrationId().equals(migrationId) || !copies.remove(processId, c)) {
            throw new AgentException(
                    AgentException.Reason.NOT_FOUND,
                    "node " + node + " keeps no copy of process " + processId + " from migration " + migrationId);
        }
        return c;
    }

    /** Drops the copy of {@code processId}, if any: the process is about to live here again another way. */
    public void drop(String processId) {
        Copy c = copies.remove(processId);
        if (c != null) {
            release(c);
        }
    }

    /** Drops the copy of {@code processId} unless {@code record} (empty: the process is gone) still names it. */
    public void dropUnlessNamed(String processId, Optional<OwnershipRecord> record) {
        Copy c = copies.get(processId);
        if (c == null) {
            return;
        }
        // Named also while this node adopts it (the record names this node as owner and keeper for a moment).
        boolean named = record.map(r -> r.getRetainedNode().equals(node)
                        && r.getRetainedMigrationId().equals(c.migrationId()))
                .orElse(false);
        if (!named && copies.remove(processId, c)) {
            LOG.atInfo()
                    .addKeyValue("process", processId)
                    .addKeyValue("migration", c.migrationId())
                    .log("the copy handed over is not needed any more; dropped");
            release(c);
        }
    }

    /** The ids of the processes a copy is kept of. */
    public java.util.Set<String> processIds() {
        return java.util.Set.copyOf(copies.keySet());
    }

    private static void release(Copy c) {
        c.log().close();
        c.log().delete();
    }
}
