package pm.runtime.wasi;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import pm.runtime.StateMismatchException;
import pm.v1.Capability;
import pm.v1.CapabilityKind;
import pm.v1.Preopen;
import pm.v1.WasiState;

/**
 * Writes a {@link WasiSession} as a {@link WasiState} and builds a fresh session from one. Each
 * descriptor is a capability (kind, logical name, state); on restore it is bound to a new
 * resource: stdio to the restoring host's endpoints, directories and files to the inode of the
 * same number in the restored preopen. A capability that cannot be bound fails the restore with
 * its name, before any guest code runs.
 */
final class WasiSessionCodec {
    private WasiSessionCodec() {}

    static WasiState capture(WasiSession session) {
        WasiState.Builder out = WasiState.newBuilder()
                .addAllArgs(session.args)
                .addAllEnvironment(session.environment)
                .setStdinPosition(session.stdinPosition)
                .setMonotonicNow(session.monotonicNow())
                .setPendingWakeAt(session.pendingWakeAt)
                .setPendingPollBase(session.pendingPollBase);
        session.preopens.forEach((path, fs) ->
                out.addPreopens(Preopen.newBuilder().setGuestPath(path).setFs(fs.toState())));
        List<Fd> slots = session.fds.slots();
        for (int i = 0; i < slots.size(); i++) {
            Fd f = slots.get(i);
            if (f == null) {
                continue;
            }
            Capability.Builder c = Capability.newBuilder()
                    .setHandle(i)
                    .setKind(CapabilityKind.forNumber(f.kind.ordinal() + 1))
                    .setOffset(f.offset)
                    .setFlags(f.flags)
                    .setRightsBase(f.rightsBase)
                    .setRightsInheriting(f.rightsInheriting);
            if (f.node == null) {
                c.setName(f.kind.name().toLowerCase(Locale.ROOT));
            } else {
                if (f.fs.inode(f.node.ino()).isEmpty()) {
                    throw new StateMismatchException("descriptor " + i + " refers to a file no longer in " + f.preopen
                            + " (unlinked while open)");
                }
                c.setPreopen(f.preopen).setInode(f.node.ino()).setName(f.preopen + "#" + f.node.ino());
            }
            out.addDescriptors(c);
        }
        return out.build();
    }

    static WasiSession restore(WasiState state, WasiSession.Builder host, long maxFileSystemBytes) {
        host.clearForRestore().args(state.getArgsList()).environment(state.getEnvironmentList());
        Map<String, FileSystem> restored = new HashMap<>();
        for (Preopen p : state.getPreopensList()) {
            FileSystem fs = FileSystem.fromState(p.getFs(), host.realtime(), maxFileSystemBytes, host.blobResolver());
            restored.put(p.getGuestPath(), fs);
            host.preopen(p.getGuestPath(), fs);
        }
        WasiSession session = new WasiSession(host, false);
        for (Capability c : state.getDescriptorsList()) {
            session.fds.put(c.getHandle(), bind(c, restored));
        }
        session.stdinPosition = state.getStdinPosition();
        session.monotonicOffset = state.getMonotonicNow() - session.hostMonotonicNanos.getAsLong();
        session.pendingWakeAt = state.getPendingWakeAt();
        session.pendingPollBase = state.getPendingPollBase();
        return session;
    }

    private static Fd bind(Capability c, Map<String, FileSystem> preopens) {
        // CapabilityKind numbers follow Fd.Kind's order, from 1 (0 is "unspecified").
        int k = c.getKindValue() - 1;
        if (k < 0 || k >= Fd.Kind.values().length) {
            throw new StateMismatchException("capability \"" + c.getName() + "\" has unknown kind " + c.getKindValue());
        }
        Fd.Kind kind = Fd.Kind.values()[k];
        FileSystem fs = null;
        Node node = null;
        if (kind == Fd.Kind.PREOPEN || kind == Fd.Kind.DIRECTORY || kind == Fd.Kind.FILE) {
            fs = preopens.get(c.getPreopen());
            if (fs == null) {
                throw new StateMismatchException(
                        "capability \"" + c.getName() + "\" cannot be bound: no preopen " + c.getPreopen());
            }
            node = fs.inode(c.getInode())
                    .orElseThrow(() -> new StateMismatchException(
                            "capability \"" + c.getName() + "\" cannot be bound: inode " + c.getInode() + " missing"));
            boolean isDir = node.kind() == Node.Kind.DIRECTORY;
            if (isDir != (kind != Fd.Kind.FILE)) {
                throw new StateMismatchException(
                        "capability \"" + c.getName() + "\" cannot be bound: inode kind differs");
            }
        }
        Fd f = new Fd(
                kind,
                kind == Fd.Kind.STDIN || kind == Fd.Kind.STDOUT || kind == Fd.Kind.STDERR ? null : c.getPreopen(),
                fs,
                node,
                c.getFlags(),
                c.getRightsBase(),
                c.getRightsInheriting());
        f.offset = c.getOffset();
        return f;
    }
}
