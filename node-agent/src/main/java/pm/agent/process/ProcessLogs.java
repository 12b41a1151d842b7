package pm.agent.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import pm.agent.AgentException;
import pm.agent.replica.CheckpointReplicas;
import pm.agent.store.LogSegments;
import pm.v1.LogChunk;

/**
 * Where the output of each process hosted here, and of each replica held for another node, is kept:
 * one directory per process under DATA/logs. A log is opened only for a process not hosted here yet,
 * before its history on disk is touched. Holds no state of its own beyond its settings; any thread.
 */
public final class ProcessLogs {
    private final Path dir;
    private final int retainBytes;
    private final Predicate<String> hosted;

    /** {@code hosted}: whether a process id is hosted here already (its log is then in use). */
    ProcessLogs(Path dir, int retainBytes, Predicate<String> hosted) {
        this.dir = dir;
        this.retainBytes = retainBytes;
        this.hosted = hosted;
    }

    /** A process's name on disk: its id if that is a safe file name, else the id's UTF-8 in hex. */
    public static String fileName(String id) {
        return id.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*")
                ? id
                : "x" + HexFormat.of().formatHex(id.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The log of a process this agent is about to host, its output from {@code startOffset} on kept on
     * disk too (what the disk held from there on is dropped: the process redoes it).
     */
    ProcessLog starting(String id, long startOffset) {
        return new ProcessLog(startOffset, retainBytes, history(id));
    }

    /** The log of a process arriving from elsewhere: {@code tail} is the output it kept, ending at {@code endOffset}. */
    ProcessLog arriving(String id, List<LogChunk> tail, long endOffset) {
        return arrived(history(id), Long.MIN_VALUE, tail, endOffset);
    }

    /**
     * The history on disk of a process arriving by migration, for its output to be written as it
     * arrives, ahead of the freeze ({@link LogSegments#append}); then {@link #arrived}.
     */
    public LogSegments incoming(String id) {
        return history(id);
    }

    /** As {@link #arriving}, {@code history} holding the tail's chunks up to {@code writtenEnd} already. */
    public ProcessLog arrived(LogSegments history, long writtenEnd, List<LogChunk> tail, long endOffset) {
        ProcessLog log = new ProcessLog(tail, endOffset, retainBytes, history, writtenEnd);
        log.flush(); // on disk before the staged state that resumes at endOffset is (see Checkpoints)
        return log;
    }

    /** The log of a process that ended before: its output as the disk holds it. */
    ProcessLog reopened(String id) {
        return ProcessLog.reopened(retainBytes, history(id));
    }

    /** The output kept with the replica of {@code id} (held for another node), up to its checkpoint. */
    public LogSegments replica(String id) {
        return LogSegments.open(logDir(CheckpointReplicas.key(id)), retainBytes);
    }

    /** The replica's output becomes the process's own (an adoption), replacing whatever an earlier stay left. */
    void takeReplica(String id) {
        Path from = logDir(CheckpointReplicas.key(id));
        Path to = logDir(id);
        try {
            if (Files.isDirectory(from)) {
                LogSegments.open(to, retainBytes).delete();
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take the replica's output of " + id, e);
        }
    }

    /** Deletes the output of {@code id}; an unreadable directory is left (the next spawn of this id starts it over). */
    void delete(String id) {
        try {
            LogSegments.open(logDir(id), retainBytes).delete();
        } catch (UncheckedIOException e) {
            // left for the next spawn of this id
        }
    }

    private LogSegments history(String id) {
        if (hosted.test(id)) {
            throw new AgentException(
                    AgentException.Reason.WRONG_STATE, "process " + id + " already exists on this agent");
        }
        return LogSegments.open(logDir(id), retainBytes);
    }

    private Path logDir(String id) {
        return dir.resolve(fileName(id));
    }
}
