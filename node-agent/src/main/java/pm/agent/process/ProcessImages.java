package pm.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import pm.agent.AgentException;
import pm.agent.replica.CheckpointReplicas;
import pm.agent.store.CheckpointRecord;
import pm.agent.store.LocalStores;
import pm.agent.store.crypto.SealedImages;
import pm.runtime.interp.CompiledModule;
import pm.runtime.process.WasiProcess;
import pm.v1.LogChunk;
import pm.v1.ProcessInfo;
import pm.v1.ProcessRecord;
import pm.v1.ProcessSpec;
import pm.v1.ProcessState;

/**
 * Processes crossing this agent's edge as whole images: an export written out, an exported image
 * brought in as a new process, and a replica held here for another node made this node's own process
 * (how recovery moves a lost node's process). Each holds the process's lock while it reads or writes
 * its state.
 */
public final class ProcessImages {
    private final ProcessHost host;
    private final LocalStores stores;
    private final Checkpoints checkpoints;

    ProcessImages(ProcessHost host, LocalStores stores, Checkpoints checkpoints) {
        this.host = host;
        this.stores = stores;
        this.checkpoints = checkpoints;
    }

    /**
     * A full image of a frozen or suspended process, written to {@code out}: sealed ({@link
     * SealedImages}) under the current image key if the agent has keys, so the file an export ends in
     * holds ciphertext only.
     */
    public void export(String id, OutputStream out) throws IOException {
        HostedProcess h = host.get(id);
        if (!stores.keys().isNone()) {
            try (OutputStream sealed = SealedImages.sealing(out, stores.keys(), h.module.sha256())) {
                exportPlain(h, sealed);
            }
            return;
        }
        exportPlain(h, out);
    }

    private void exportPlain(HostedProcess h, OutputStream out) throws IOException {
        h.lock.lock();
        try {
            ProcessHost.requireState(
                    h, "export", ProcessState.PROCESS_STATE_FROZEN, ProcessState.PROCESS_STATE_SUSPENDED);
            if (h.is(ProcessState.PROCESS_STATE_FROZEN)) {
                h.process.writeImage(out, false);
                h.lastCheckpointId = ""; // that image is not in the store: the next checkpoint is full
                return;
            }
            CheckpointRecord r = stores.latest(h.id).orElseThrow(() -> AgentException.notFound(h.id));
            ProcessFactory factory = host.factory();
            WasiProcess p = WasiProcess.restore(
                    h.module,
                    stores.open(h.id, r.checkpointId()),
                    factory.endpoints(h.spec, h.log),
                    factory.limits(h.spec),
                    factory.fsBytes(h.spec));
            p.writeImage(out, false);
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * A process from an exported image; it starts running here under a new epoch. Its log continues
     * {@code logTail} (output retained elsewhere, ending at {@code logOffset}); both empty: it starts at 0.
     */
    public ProcessInfo importImage(
            String requestedId,
            ProcessSpec request,
            String imageProcessId,
            InputStream sealedOrPlain,
            long epoch,
            List<LogChunk> logTail,
            long logOffset)
            throws IOException {
        // Authenticated record by record while the restore reads it; a refusal comes before the process is scheduled.
        InputStream image = SealedImages.opening(sealedOrPlain, stores.keys());
        String id = ProcessHost.checkId(requestedId.isEmpty() ? imageProcessId : requestedId);
        if (id.isEmpty()) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "an import needs a process id");
        }
        CompiledModule module = host.modules().module(request);
        ProcessSpec spec = ProcessHost.withoutModuleBytes(request, module);
        ProcessLog log = host.logs().arriving(id, logTail, logOffset);
        HostedProcess h =
                new HostedProcess(id, spec, module, log, epoch, ProcessState.PROCESS_STATE_RUNNING, host.clustered());
        h.lock.lock();
        try {
            host.adopt(h);
            try {
                ProcessFactory factory = host.factory();
                WasiProcess p = WasiProcess.restore(
                        module, image, factory.endpoints(spec, log), factory.limits(spec), factory.fsBytes(spec));
                h.process = p;
                host.records().put(h.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
                checkpoints.write(h, false);
                host.schedule(h, p, false);
                return h.info(host.node());
            } catch (IOException | RuntimeException e) {
                host.drop(h);
                host.forget(id);
                throw e;
            }
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * Makes the replica of {@code id} this agent's own process under {@code epoch}: its chain is put
     * under the process's own key (the chunks are here already, so only manifests are written), then
     * it runs (or stays frozen or suspended) from {@code checkpointId}, its output continuing at that
     * checkpoint's log offset. Recovery of a lost node's processes comes through here.
     */
    public ProcessInfo adoptReplica(String id, String checkpointId, ProcessState state, long epoch) {
        if (state != ProcessState.PROCESS_STATE_RUNNING
                && state != ProcessState.PROCESS_STATE_FROZEN
                && state != ProcessState.PROCESS_STATE_SUSPENDED) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST, "a process is adopted RUNNING, FROZEN or SUSPENDED");
        }
        String key = CheckpointReplicas.key(id);
        List<CheckpointRecord> held = stores.list(key);
        CheckpointRecord tip = held.stream()
                .filter(r -> r.checkpointId().equals(checkpointId))
                .findFirst()
                .orElseThrow(() -> new AgentException(
                        AgentException.Reason.NOT_FOUND,
                        "no replica of checkpoint " + checkpointId + " of process " + id + " on this node"));
        ProcessRecord attached;
        try {
            attached = ProcessRecord.parseFrom(tip.attachment());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new pm.runtime.StateFormatException("replica of " + id + " carries no readable record", e);
        }
        CompiledModule module = host.modules().module(attached.getSpec());
        if (host.find(id).isPresent()) {
            throw new AgentException(
                    AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
        }
        host.handedOver().drop(id); // the recovery chose the checkpoint: an older copy kept here is not it
        host.logs().takeReplica(id);
        HostedProcess h = new HostedProcess(
                id,
                attached.getSpec(),
                module,
                host.logs().starting(id, attached.getLogOffset()),
                epoch,
                ProcessState.PROCESS_STATE_SUSPENDED,
                host.clustered());
        h.fileInputs = attached.getFileInputsList();
        h.lock.lock();
        try {
            host.adopt(h);
            try {
                stores.delete(id); // whatever an earlier ownership left under its own key
                List<InputStream> chain = stores.open(key, checkpointId);
                List<CheckpointRecord> links = chainRecords(held, tip);
                for (int i = 0; i < chain.size(); i++) {
                    stores.put(id, chain.get(i), links.get(i).attachment());
                }
                if (state == ProcessState.PROCESS_STATE_SUSPENDED) {
                    h.lastCheckpointId = checkpointId;
                    host.records().put(h.record(ProcessRecord.Disposition.DISPOSITION_SUSPENDED));
                } else {
                    checkpoints.restore(h, checkpointId, state == ProcessState.PROCESS_STATE_FROZEN);
                    h.durability.named(checkpointId); // recovery starts from the record's durable checkpoint
                    host.records().put(h.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
                }
            } catch (RuntimeException e) {
                abandon(h);
                throw e;
            }
            stores.delete(key);
            return h.info(host.node());
        } finally {
            h.lock.unlock();
        }
    }

    /**
     * Makes the copy this agent kept when migration {@code migrationId} handed {@code id} over its own
     * process again under {@code epoch}: it runs (or stays frozen) from the state it left in, its output
     * continuing where it was then. Recovery of a target lost soon after a migration comes through here.
     */
    public ProcessInfo adoptHandedOver(String id, String migrationId, ProcessState state, long epoch) {
        if (state != ProcessState.PROCESS_STATE_RUNNING && state != ProcessState.PROCESS_STATE_FROZEN) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST, "a copy kept after a migration is adopted RUNNING or FROZEN");
        }
        if (host.find(id).isPresent()) {
            throw new AgentException(
                    AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
        }
        HandedOverCopies.Copy copy = host.handedOver().take(id, migrationId);
        HostedProcess h = new HostedProcess(
                id, copy.spec(), copy.module(), copy.log(), epoch, ProcessState.PROCESS_STATE_FROZEN, host.clustered());
        h.fileInputs = copy.fileInputs();
        h.lock.lock();
        try {
            host.adopt(h);
            try {
                h.process = copy.process();
                h.process.channels().unseal(); // sealed when it was handed over: deliveries wait no more
                host.schedule(h, h.process, state == ProcessState.PROCESS_STATE_FROZEN);
                host.records().put(h.record(ProcessRecord.Disposition.DISPOSITION_OWNED));
            } catch (RuntimeException e) {
                abandon(h);
                throw e;
            }
            host.runsAgain(h);
            return h.info(host.node());
        } finally {
            h.lock.unlock();
        }
    }

    private static List<CheckpointRecord> chainRecords(List<CheckpointRecord> all, CheckpointRecord tip) {
        List<CheckpointRecord> chain = new ArrayList<>();
        for (CheckpointRecord r = tip; r != null; ) {
            chain.add(0, r);
            String base = r.baseCheckpointId();
            r = r.isFull()
                    ? null
                    : all.stream()
                            .filter(c -> c.checkpointId().equals(base))
                            .findFirst()
                            .orElse(null);
        }
        return chain;
    }

    /** An adoption that failed half-way: the process is neither hosted nor scheduled here, and its files go. */
    private void abandon(HostedProcess h) {
        host.drop(h);
        if (h.handle != null) {
            h.handle.remove();
        }
        host.forget(h.id);
    }
}
