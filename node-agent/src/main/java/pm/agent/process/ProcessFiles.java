package pm.agent.process;

import java.util.function.Function;
import pm.agent.AgentException;
import pm.agent.store.BlobStore;
import pm.runtime.LimitExceededException;
import pm.runtime.process.WasiProcess;
import pm.runtime.wasi.Errno;
import pm.runtime.wasi.ErrnoException;
import pm.runtime.wasi.FileSystem;
import pm.runtime.wasi.Node;
import pm.v1.ProcessState;

/**
 * A process's /data from outside (pmctl cp): a file read or written while the process is frozen, has
 * ended, or, if it runs, while it is paused at a safepoint for the copy (then it runs on). The guest's
 * file system is only ever touched by one thread: the process's worker while it runs, the caller here
 * while it is stopped and the process's lock is held. A suspended process has only its checkpoint, and
 * a migrating one is about to leave: both are refused.
 */
public final class ProcessFiles {
    private final ProcessHost host;

    public ProcessFiles(ProcessHost host) {
        this.host = host;
    }

    /** What a read returns: the file's bytes as they were when read, positional. */
    public interface Contents {
        long size();

        /** Up to {@code length} bytes at {@code position}; -1 at the end. */
        int read(long position, byte[] into, int offset, int length);
    }

    /**
     * The file at {@code path} under /data as it is now, taken while the process does not run: an input
     * file the guest never changed is read from the stored input itself (immutable, so it can be streamed
     * after the process runs on); any other is copied.
     */
    public Contents read(String id, String path) {
        String rel = relative(path);
        return withFileSystem(id, "read a file of", false, fs -> {
            Node file = fs.resolveBeneath(fs.root(), rel, true);
            if (file.kind() != Node.Kind.FILE) {
                throw new AgentException(
                        AgentException.Reason.BAD_REQUEST,
                        "/data/" + rel + " is a " + file.kind().name().toLowerCase(java.util.Locale.ROOT)
                                + ", not a file");
            }
            java.util.Optional<pm.runtime.wasi.BlobContent> stored = file.blob();
            if (stored.isPresent()) {
                pm.runtime.wasi.BlobContent blob = stored.get();
                return new Contents() {
                    @Override
                    public long size() {
                        return blob.size();
                    }

                    @Override
                    public int read(long position, byte[] into, int offset, int length) {
                        return blob.read(position, into, offset, length);
                    }
                };
            }
            long size = fs.size(file);
            if (size > Node.MAX_FILE_SIZE) {
                throw new LimitExceededException(
                        "/data/" + rel + " has " + size + " bytes, more than one copy can take");
            }
            byte[] bytes = new byte[(int) size];
            for (int at = 0; at < bytes.length; ) {
                int n = fs.read(file, at, bytes, at, bytes.length - at);
                if (n <= 0) {
                    break;
                }
                at += n;
            }
            return new Contents() {
                @Override
                public long size() {
                    return bytes.length;
                }

                @Override
                public int read(long position, byte[] into, int offset, int length) {
                    if (position >= bytes.length) {
                        return -1;
                    }
                    int n = (int) Math.min(length, bytes.length - position);
                    System.arraycopy(bytes, (int) position, into, offset, n);
                    return n;
                }
            };
        });
    }

    /** Creates or replaces the file at {@code path} under /data (and missing parent directories) with {@code contents}. */
    public long write(String id, String path, BlobStore.Blob contents) {
        String rel = relative(path);
        return withFileSystem(id, "write a file of", true, fs -> {
            Node dir = fs.root();
            String[] parts = rel.split("/");
            for (int i = 0; i < parts.length - 1; i++) {
                dir = directory(fs, dir, parts[i]);
            }
            String name = parts[parts.length - 1];
            Node existing = find(fs, dir, name);
            long replaced = existing == null ? 0 : fs.size(existing);
            if (existing != null && existing.kind() != Node.Kind.FILE) {
                throw new AgentException(
                        AgentException.Reason.BAD_REQUEST, "/data/" + rel + " exists and is not a file");
            }
            long free = fs.maxBytes() - fs.bytesUsed() + replaced;
            if (contents.size() > free) { // checked before the old file goes, so a refused copy changes nothing
                throw new LimitExceededException("the file has " + contents.size() + " bytes; the process's /data has "
                        + free + " of its " + fs.maxBytes() + " bytes free for it");
            }
            if (existing != null) {
                fs.unlinkFile(dir, name);
            }
            fs.createFile(dir, name, contents); // read from the stored input until the guest changes it
            return contents.size();
        });
    }

    /** {@code changes}: whether {@code use} changes the files (then an ended process's kept copy is written again). */
    private <T> T withFileSystem(String id, String action, boolean changes, Function<FileSystem, T> use) {
        HostedProcess h = host.get(id);
        h.lock.lock();
        try {
            ProcessHost.requireState(
                    h,
                    action,
                    ProcessState.PROCESS_STATE_RUNNING,
                    ProcessState.PROCESS_STATE_FROZEN,
                    ProcessState.PROCESS_STATE_EXITED,
                    ProcessState.PROCESS_STATE_FAILED);
            boolean paused = false;
            if (h.is(ProcessState.PROCESS_STATE_RUNNING)) {
                try {
                    ProcessHost.await(h.handle.freeze());
                    paused = true;
                } catch (AgentException e) {
                    if (e.reason() != AgentException.Reason.WRONG_STATE) {
                        throw e; // not "it ended meanwhile", which leaves its files as they are
                    }
                }
            }
            try {
                WasiProcess p = h.process;
                FileSystem fs = p != null
                        ? p.session().preopen(ProcessFactory.DATA_DIR)
                        : host.ended().fileSystem(h);
                if (fs == null) {
                    throw new AgentException(AgentException.Reason.WRONG_STATE, "process " + id + " has no /data here");
                }
                T result = use.apply(fs);
                if (changes && h.hasEnded()) {
                    host.ended().keep(h); // what was copied in outlives a restart too
                } else if (changes) {
                    h.fileInputs = ProcessFactory.refs(fs); // paused: its next image may name what was copied in
                }
                return result;
            } catch (ErrnoException e) {
                throw e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR
                        ? new AgentException(
                                AgentException.Reason.NOT_FOUND,
                                "no such file in /data of " + id + ": " + e.getMessage())
                        : e.errno() == Errno.ENOSPC || e.errno() == Errno.EFBIG || e.errno() == Errno.EDQUOT
                                ? new LimitExceededException("/data of " + id + " is full: " + e.getMessage())
                                : new AgentException(AgentException.Reason.BAD_REQUEST, e.getMessage());
            } finally {
                if (paused) {
                    h.pauseOver();
                }
            }
        } finally {
            h.lock.unlock();
        }
    }

    /** {@code a/b}, {@code /data/a/b} → {@code a/b}; anything outside /data, empty, or with "..", is refused. */
    public static String relative(String path) {
        String rel = path.startsWith(ProcessFactory.DATA_DIR + "/")
                ? path.substring(ProcessFactory.DATA_DIR.length() + 1)
                : path;
        if (rel.isEmpty()
                || rel.startsWith("/")
                || rel.endsWith("/")
                || java.util.List.of(rel.split("/")).contains("..")
                || java.util.List.of(rel.split("/")).contains("")) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST,
                    "a path names a file under /data, like /data/out.txt or out.txt, not '" + path + "'");
        }
        return rel;
    }

    private static Node directory(FileSystem fs, Node parent, String name) {
        try {
            return fs.resolve(parent, name, true);
        } catch (ErrnoException e) {
            return fs.createDirectory(parent, name);
        }
    }

    private static Node find(FileSystem fs, Node dir, String name) {
        try {
            return fs.resolve(dir, name, false);
        } catch (ErrnoException e) {
            return null;
        }
    }
}
