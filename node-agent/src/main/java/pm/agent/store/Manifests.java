package pm.agent.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.agent.store.crypto.ClusterKeys;
import pm.agent.store.crypto.Sealer;

/**
 * The manifests of every process, on disk: {@code <root>/P/00000000000000000007.manifest}, where
 * P is the hex SHA-256 of the process id (never the id itself, whatever it holds) and the number
 * counts the process's checkpoints in the order they were put. A manifest appears whole or not at
 * all ({@link Durable}); one that fails its checksum is logged and read as absent.
 *
 * <p>With image keys a manifest is stored sealed ({@link Sealer}), bound to its place (process
 * directory and file name), so it cannot be moved to another process or order; one that fails
 * authentication is corrupt (logged, absent), one under a key not in the ring (or any sealed one
 * when there are no keys) raises {@link pm.agent.store.crypto.UnknownKeyException}: a checkpoint
 * this agent cannot read is not one it may treat as gone. A plain manifest in a sealed store is corrupt.
 *
 * <p>No locking here: {@link CheckpointStore} serialises the writers of a process and keeps
 * {@link #liveChunks} and {@link #deleteTemporaryFiles} apart from all writers.
 */
final class Manifests {
    private static final Logger log = LoggerFactory.getLogger(Manifests.class);
    private static final String SUFFIX = ".manifest";
    private static final Pattern NAME = Pattern.compile("\\d{20}\\.manifest");

    private final Path root;
    /** Null when manifests are stored plain. */
    private final Sealer sealer;

    Manifests(Path root, ClusterKeys keys) throws IOException {
        this.root = root;
        this.sealer = keys.isNone() ? null : new Sealer(keys, "manifest");
        Durable.createDirectory(root);
    }

    /** The readable manifests of {@code processId}, oldest first. */
    List<Manifest> of(String processId) throws IOException {
        List<Manifest> all = new ArrayList<>();
        for (Path f : files(dir(processId))) {
            Manifest m = read(f);
            if (m == null) {
                continue;
            }
            if (!m.processId().equals(processId)) {
                log.warn("manifest {} is of process {}, not {}: ignored", f, m.processId(), processId);
                continue;
            }
            all.add(m);
        }
        return all;
    }

    /** Every process with at least one readable manifest. */
    Set<String> processIds() throws IOException {
        Set<String> ids = new TreeSet<>();
        for (Path p : directories()) {
            List<Path> files = files(p);
            for (int i = files.size() - 1; i >= 0; i--) {
                Manifest m = read(files.get(i));
                if (m != null && dir(m.processId()).equals(p)) {
                    ids.add(m.processId());
                    break;
                }
            }
        }
        return ids;
    }

    /** Publishes {@code manifest} as the newest of its process: durable when this returns. */
    void publish(Manifest manifest) throws IOException {
        Path p = dir(manifest.processId());
        Durable.createDirectory(p);
        List<Path> files = files(p);
        long next = 1;
        if (!files.isEmpty()) {
            String last = files.get(files.size() - 1).getFileName().toString();
            next = Long.parseLong(last.substring(0, last.length() - SUFFIX.length())) + 1;
        }
        Path file = p.resolve(String.format("%020d", next) + SUFFIX);
        byte[] bytes = manifest.encode();
        Durable.write(file, sealer == null ? bytes : sealer.seal(binding(file), bytes, 0, bytes.length));
    }

    /** Deletes every manifest of {@code processId}, newest first, and its directory. Says whether there were any. */
    boolean deleteAll(String processId) throws IOException {
        Path p = dir(processId);
        if (!Files.isDirectory(p)) {
            return false;
        }
        List<Path> files = files(p);
        // Newest first: a crash part way leaves the oldest checkpoints, each still whole with its bases.
        for (int i = files.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(files.get(i));
        }
        for (Path temp : temporaryFiles(p)) {
            Files.deleteIfExists(temp);
        }
        Files.deleteIfExists(p);
        Durable.syncDirectory(root);
        return !files.isEmpty();
    }

    /** Deletes the manifests of {@code processId} put before its checkpoint {@code checkpointId}, unreadable ones included. */
    int deleteOlderThan(String processId, String checkpointId) throws IOException {
        Path p = dir(processId);
        List<Path> files = files(p);
        String keepFrom = null;
        for (Path f : files) {
            Manifest m = read(f);
            if (m != null && m.processId().equals(processId) && m.checkpointId().equals(checkpointId)) {
                keepFrom = f.getFileName().toString();
                break;
            }
        }
        if (keepFrom == null) {
            return 0;
        }
        int removed = 0;
        for (Path f : files) {
            if (f.getFileName().toString().compareTo(keepFrom) < 0 && Files.deleteIfExists(f)) {
                removed++;
            }
        }
        if (removed > 0) {
            Durable.syncDirectory(p);
        }
        return removed;
    }

    /**
     * The chunks some readable manifest names: the mark of a collection. An I/O error reading a
     * manifest fails this rather than leave its chunks unmarked.
     */
    Set<String> liveChunks() throws IOException {
        Set<String> live = new HashSet<>();
        for (Path p : directories()) {
            for (Path f : files(p)) {
                Manifest m = read(f);
                if (m != null) {
                    m.chunks().forEach(c -> live.add(c.hash()));
                }
            }
        }
        return live;
    }

    /** Deletes manifests a crash left unrenamed, and directories left empty. Only while no writer runs. */
    int deleteTemporaryFiles() throws IOException {
        int deleted = 0;
        for (Path p : directories()) {
            for (Path temp : temporaryFiles(p)) {
                deleted += Files.deleteIfExists(temp) ? 1 : 0;
            }
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(p)) {
                if (!stream.iterator().hasNext()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return deleted;
    }

    /** {@code checkpointId}'s chain from its full image to it, found among {@code all}, or null if a link is missing. */
    static List<Manifest> chain(List<Manifest> all, String checkpointId) {
        Map<String, Manifest> byId = new HashMap<>();
        for (Manifest m : all) {
            byId.put(m.checkpointId(), m);
        }
        List<Manifest> chain = new ArrayList<>();
        String id = checkpointId;
        while (chain.size() <= all.size()) {
            Manifest m = byId.get(id);
            if (m == null) {
                return null;
            }
            chain.add(m);
            if (m.isFull()) {
                Collections.reverse(chain);
                return chain;
            }
            id = m.baseCheckpointId();
        }
        return null; // a cycle: only a forged store could hold one
    }

    /**
     * The manifest in {@code file}, or null if it vanished (deleted meanwhile) or is corrupt
     * (logged); {@link pm.agent.store.crypto.UnknownKeyException} if sealed under a key not held.
     */
    private Manifest read(Path file) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            if (sealer != null) {
                data = sealer.open(binding(file), data, "manifest " + file);
            } else if (Sealer.looksSealed(data)) {
                // Throws UnknownKeyException naming the key: this agent has none.
                ClusterKeys.NONE.requireKey(Sealer.keyIdOf(data, "manifest " + file), "manifest " + file);
            }
            return Manifest.decode(data, file.toString());
        } catch (CorruptCheckpointException e) {
            log.error("{}; treated as absent", e.getMessage());
            return null;
        }
    }

    /** What a sealed manifest is bound to: its process directory and its file name. */
    private static byte[] binding(Path file) {
        return ("manifest:" + file.getParent().getFileName() + "/" + file.getFileName())
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A process's directory: named by the SHA-256 of its id, so no id can name a path of its choosing. */
    private Path dir(String processId) {
        return root.resolve(ChunkStore.hash(processId.getBytes(StandardCharsets.UTF_8)));
    }

    /** The manifest files in {@code processDir}, in the order they were put. */
    private static List<Path> files(Path processDir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(processDir)) {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(processDir)) {
            for (Path f : stream) {
                if (NAME.matcher(f.getFileName().toString()).matches()) {
                    files.add(f);
                }
            }
        }
        files.sort(null);
        return files;
    }

    private static List<Path> temporaryFiles(Path processDir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(processDir, Durable.TEMP_PREFIX + "*")) {
            stream.forEach(files::add);
        }
        return files;
    }

    private List<Path> directories() throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root, Files::isDirectory)) {
            stream.forEach(dirs::add);
        }
        return dirs;
    }
}
