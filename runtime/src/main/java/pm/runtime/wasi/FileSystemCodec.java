package pm.runtime.wasi;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import pm.runtime.StateMismatchException;
import pm.runtime.wasi.Node.Kind;
import pm.v1.DirectoryEntry;
import pm.v1.FileSystemState;
import pm.v1.Inode;
import pm.v1.InodeKind;

/**
 * Converts a {@link FileSystem} to and from its {@link FileSystemState}. Decoding trusts nothing:
 * the state comes from another host, so every reference, name and link count is checked before
 * the file system is handed out, and any inconsistency is a {@link StateMismatchException}.
 *
 * <p>A file still reading from its {@link BlobContent} is written as the blob's hash and size, not
 * its bytes, so an uploaded input crosses no migration; decoding finds the blob again through the
 * restoring host's {@link BlobResolver} and refuses the state if that host lacks it.
 */
final class FileSystemCodec {
    private FileSystemCodec() {}

    /** Inodes in breadth-first order from the root, children by name, so equal trees encode equally. */
    static FileSystemState encode(FileSystem fs) {
        FileSystemState.Builder state =
                FileSystemState.newBuilder().setRootIno(fs.root().ino()).setNextIno(fs.nextIno);
        Set<Long> written = new HashSet<>();
        ArrayDeque<Node> pending = new ArrayDeque<>();
        pending.add(fs.root());
        while (!pending.isEmpty()) {
            Node node = pending.poll();
            if (!written.add(node.ino())) {
                continue; // a second name of a hard-linked file
            }
            Inode.Builder inode = Inode.newBuilder()
                    .setIno(node.ino())
                    .setKind(kind(node.kind()))
                    .setNlink(node.nlink())
                    .setAtim(node.atim())
                    .setMtim(node.mtim())
                    .setCtim(node.ctim());
            switch (node.kind()) {
                case FILE ->
                    node.blob()
                            .ifPresentOrElse(
                                    blob -> inode.setBlobSha256(ByteString.copyFrom(blob.sha256()))
                                            .setBlobSize(blob.size()),
                                    () -> inode.setData(ByteString.copyFrom(node.rawData(), 0, (int) node.size())));
                case SYMLINK -> inode.setSymlinkTarget(node.symlinkTarget());
                case DIRECTORY ->
                    node.entries.forEach((name, child) -> {
                        inode.addEntries(
                                DirectoryEntry.newBuilder().setName(name).setIno(child.ino()));
                        pending.add(child);
                    });
            }
            state.addInodes(inode);
        }
        return state.build();
    }

    static FileSystem decode(FileSystemState state, LongSupplier nowNanos, long maxBytes, BlobResolver blobs) {
        Map<Long, Inode> byIno = new HashMap<>();
        for (Inode inode : state.getInodesList()) {
            if (inode.getIno() <= 0 || Long.compareUnsigned(inode.getIno(), state.getNextIno()) >= 0) {
                throw mismatch("inode number " + Long.toUnsignedString(inode.getIno()) + " is not in 1.."
                        + Long.toUnsignedString(state.getNextIno()) + " (exclusive)");
            }
            if (byIno.put(inode.getIno(), inode) != null) {
                throw mismatch("inode " + inode.getIno() + " appears twice");
            }
        }
        Inode rootState = byIno.get(state.getRootIno());
        if (rootState == null) {
            throw mismatch("root inode " + state.getRootIno() + " is missing");
        }
        if (rootState.getKind() != InodeKind.INODE_KIND_DIRECTORY) {
            throw mismatch("root inode " + state.getRootIno() + " is " + rootState.getKind() + ", not a directory");
        }

        FileSystem fs = new FileSystem(nowNanos, maxBytes, state.getRootIno());
        Map<Long, Node> nodes = new HashMap<>();
        for (Inode inode : byIno.values()) {
            nodes.put(inode.getIno(), node(fs, inode, blobs));
        }
        Map<Long, Long> names = link(fs.root(), byIno, nodes);

        long used = 0;
        for (Node node : nodes.values()) {
            if (node != fs.root() && !names.containsKey(node.ino())) {
                throw mismatch(node + " is not reachable from the root");
            }
            long expected = node.kind() == Kind.DIRECTORY
                    ? 2
                            + node.entries.values().stream()
                                    .filter(c -> c.kind() == Kind.DIRECTORY)
                                    .count()
                    : names.get(node.ino());
            if (node.nlink() != expected) {
                throw mismatch(node + " has nlink " + node.nlink() + " but " + expected + " links");
            }
            used += FileSystem.INODE_COST + node.size();
            for (String name : node.kind() == Kind.DIRECTORY ? node.entries.keySet() : Set.<String>of()) {
                used += FileSystem.entryCost(name);
            }
        }
        if (used > maxBytes) {
            throw mismatch("file system needs " + used + " bytes, the limit here is " + maxBytes);
        }
        fs.inodes.putAll(nodes);
        fs.nextIno = state.getNextIno();
        fs.bytesUsed = used;
        return fs;
    }

    /** An inode's own fields, checked for its kind; links come later. */
    private static Node node(FileSystem fs, Inode inode, BlobResolver blobs) {
        Kind kind = switch (inode.getKind()) {
            case INODE_KIND_FILE -> Kind.FILE;
            case INODE_KIND_DIRECTORY -> Kind.DIRECTORY;
            case INODE_KIND_SYMLINK -> Kind.SYMLINK;
            default -> throw mismatch("inode " + inode.getIno() + " has unknown kind " + inode.getKindValue());
        };
        boolean blobbed = !inode.getBlobSha256().isEmpty() || inode.getBlobSize() != 0;
        if ((kind != Kind.FILE && (!inode.getData().isEmpty() || blobbed))
                || (kind != Kind.SYMLINK && !inode.getSymlinkTarget().isEmpty())
                || (kind != Kind.DIRECTORY && inode.getEntriesCount() > 0)) {
            throw mismatch("inode " + inode.getIno() + " is a " + kind + " but carries fields of another kind");
        }
        if (kind == Kind.SYMLINK && inode.getSymlinkTarget().isEmpty()) {
            throw mismatch("symlink inode " + inode.getIno() + " has no target");
        }
        if (inode.getData().size() > Node.MAX_FILE_SIZE) {
            throw mismatch("file inode " + inode.getIno() + " exceeds " + Node.MAX_FILE_SIZE + " bytes");
        }
        Node node = inode.getIno() == fs.root().ino()
                ? fs.root()
                : new Node(fs, kind, inode.getIno(), 0, kind == Kind.SYMLINK ? inode.getSymlinkTarget() : null);
        node.nlink = inode.getNlink();
        node.atim = inode.getAtim();
        node.mtim = inode.getMtim();
        node.ctim = inode.getCtim();
        if (kind == Kind.FILE && blobbed) {
            node.attach(blob(inode, blobs));
        } else if (kind == Kind.FILE) {
            node.replaceContent(inode.getData().toByteArray());
        }
        return node;
    }

    /** The host's blob a file inode names, which must be there with the size the state gives. */
    private static BlobContent blob(Inode inode, BlobResolver blobs) {
        byte[] sha = inode.getBlobSha256().toByteArray();
        String name = "file inode " + inode.getIno() + " names blob sha256:"
                + HexFormat.of().formatHex(sha);
        if (sha.length != 32) {
            throw mismatch(name + ", which is not a 32-byte SHA-256");
        }
        if (!inode.getData().isEmpty()) {
            throw mismatch(name + " but carries data too");
        }
        BlobContent found = blobs.find(sha).orElseThrow(() -> mismatch(name + ", which this host does not hold"));
        if (found.size() != inode.getBlobSize()) {
            throw mismatch(name + " of " + Long.toUnsignedString(inode.getBlobSize())
                    + " bytes, but this host's blob of" + " that hash has " + found.size());
        }
        return found;
    }

    /**
     * Fills the directories from the root down and returns how many names each inode has. A
     * directory reached twice is a cycle or a hard link to a directory; both would break "..".
     */
    private static Map<Long, Long> link(Node root, Map<Long, Inode> byIno, Map<Long, Node> nodes) {
        Map<Long, Long> names = new HashMap<>();
        ArrayDeque<Node> pending = new ArrayDeque<>();
        pending.add(root);
        while (!pending.isEmpty()) {
            Node dir = pending.poll();
            for (DirectoryEntry entry : byIno.get(dir.ino()).getEntriesList()) {
                if (PathResolver.invalidName(entry.getName()) != null) {
                    throw mismatch(dir + " has an invalid entry name '" + entry.getName() + "'");
                }
                Node child = nodes.get(entry.getIno());
                if (child == null) {
                    throw mismatch(dir + " entry '" + entry.getName() + "' names unknown inode " + entry.getIno());
                }
                if (dir.entries.put(entry.getName(), child) != null) {
                    throw mismatch(dir + " has two entries named '" + entry.getName() + "'");
                }
                names.merge(child.ino(), 1L, Long::sum);
                if (child.kind() == Kind.DIRECTORY) {
                    if (child == root || names.get(child.ino()) > 1) {
                        throw mismatch(child + " is reached twice: a cycle or a hard link to a directory");
                    }
                    child.parent = dir;
                    pending.add(child);
                }
            }
        }
        return names;
    }

    private static InodeKind kind(Kind kind) {
        return switch (kind) {
            case FILE -> InodeKind.INODE_KIND_FILE;
            case DIRECTORY -> InodeKind.INODE_KIND_DIRECTORY;
            case SYMLINK -> InodeKind.INODE_KIND_SYMLINK;
        };
    }

    private static StateMismatchException mismatch(String message) {
        return new StateMismatchException("file system state: " + message);
    }
}
