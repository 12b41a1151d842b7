package pm.runtime.wasi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import pm.runtime.wasi.Node.Kind;
import pm.v1.FileSystemState;

/**
 * One in-memory directory tree: a preopened directory is one FileSystem and its root is the
 * preopen. Every operation answers like POSIX as WASI preview 1 (wasmtime, wasi-libc) expects,
 * failing with an {@link ErrnoException}. Paths are relative, and ".." or a symlink may never leave
 * the root (ENOTCAPABLE): that is the sandbox.
 *
 * <p>Space: {@link #bytesUsed()} is the logical size of every file and symlink target, plus
 * {@value #INODE_COST} bytes per inode and {@value #ENTRY_COST} bytes plus the UTF-8 name per
 * directory entry. The per-entry charge exists because hard links add names without inodes; without
 * it a guest could fill the heap for free. Array slack (files grow by doubling) is not charged, so
 * heap use may reach about twice the limit. Going over {@code maxBytes} is ENOSPC; a write that
 * partly fits is short, as on POSIX. A file unlinked while still open is no longer charged (its
 * bytes leave with its last name) but may not grow beyond what is free.
 *
 * <p>A file may be created from the host's {@link BlobContent} (an uploaded input): it reads from
 * the blob in place, may be larger than a Java array ({@link Node#MAX_FILE_SIZE}), and is charged
 * its size like any file. The guest's first change (write, truncation, growth) gives the file its
 * own copy of the bytes and the blob is never written; a blob-backed file too large to copy
 * refuses changes with EFBIG. Until then a process image names the blob instead of carrying it.
 *
 * <p>Timestamps come from the injected clock. Writes, truncation and directory changes update mtim
 * and ctim; reads do not touch atim (like a noatime mount), so reading never changes the image.
 *
 * <p>Not thread-safe: the thread running the owning process owns it.
 */
public final class FileSystem {
    /** Where a path's final component lives: for create, unlink and rename. */
    public record Located(Node parent, String name) {}

    /**
     * One fd_readdir entry. {@link #list} returns ".", ".." and then the children in name order
     * ({@code String} order); the cookie that resumes after entry {@code i} is {@code i + 1}.
     */
    public record DirEntry(String name, long ino, Kind kind) {}

    static final int INODE_COST = 64;
    static final int ENTRY_COST = 16;
    static final int MAX_PATH_BYTES = 4096;

    private final LongSupplier nowNanos;
    private final long maxBytes;
    private final Node root;
    // Live inodes (at least one name, or the root) by number: lets a restored descriptor find its inode.
    final Map<Long, Node> inodes = new HashMap<>();
    long nextIno;
    long bytesUsed;

    public FileSystem(LongSupplier nowNanos, long maxBytes) {
        this(nowNanos, maxBytes, 1);
        root.nlink = 2;
        inodes.put(root.ino(), root);
        bytesUsed = INODE_COST;
        nextIno = 2;
    }

    /** An empty shell around a root with the given number, for {@link FileSystemCodec} to fill. */
    FileSystem(LongSupplier nowNanos, long maxBytes, long rootIno) {
        if (maxBytes < INODE_COST) {
            throw new IllegalArgumentException(
                    "maxBytes " + maxBytes + " cannot hold even the root (" + INODE_COST + ")");
        }
        this.nowNanos = Objects.requireNonNull(nowNanos, "nowNanos");
        this.maxBytes = maxBytes;
        this.root = new Node(this, Kind.DIRECTORY, rootIno, nowNanos.getAsLong(), null);
    }

    public Node root() {
        return root;
    }

    public long bytesUsed() {
        return bytesUsed;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * The blobs files still read from (each once): what a host must keep for this tree and for images
     * of it. Read while the owner of the tree is stopped.
     */
    public List<BlobContent> blobs() {
        Map<String, BlobContent> byHash = new java.util.TreeMap<>();
        for (Node node : inodes.values()) {
            node.blob()
                    .ifPresent(b -> byHash.putIfAbsent(java.util.HexFormat.of().formatHex(b.sha256()), b));
        }
        return List.copyOf(byHash.values());
    }

    /** The live inode with this number, for restoring descriptors that name inodes by number. */
    public Optional<Node> inode(long ino) {
        return Optional.ofNullable(inodes.get(ino));
    }

    // ---- paths ----

    /** The inode {@code path} names relative to {@code dir}; a final symlink is followed only if asked. */
    public Node resolve(Node dir, String path, boolean followFinalSymlink) {
        requireDirectory(dir);
        return PathResolver.resolve(root, dir, path, followFinalSymlink);
    }

    /**
     * As {@link #resolve}, but {@code dir} is the sandbox: neither ".." nor a symlink may leave it
     * (ENOTCAPABLE). This is how a directory descriptor sees the tree, in wasmtime and node:wasi
     * alike: holding a descriptor for a subdirectory grants nothing above it.
     */
    public Node resolveBeneath(Node dir, String path, boolean followFinalSymlink) {
        requireDirectory(dir);
        return PathResolver.resolve(dir, dir, path, followFinalSymlink);
    }

    /** As {@link #resolveParent}, with {@code dir} as the sandbox (see {@link #resolveBeneath}). */
    public Located resolveParentBeneath(Node dir, String path) {
        requireDirectory(dir);
        return PathResolver.resolveParent(dir, dir, path);
    }

    /**
     * The directory holding the final component of {@code path} and that component's name, which
     * need not exist. Symlinks on the way are followed, the final one is not. A trailing slash
     * demands that an existing final entry be a directory (ENOTDIR otherwise); a missing one may
     * still be created as a file, which is laxer than POSIX (EISDIR).
     */
    public Located resolveParent(Node dir, String path) {
        requireDirectory(dir);
        return PathResolver.resolveParent(root, dir, path);
    }

    // ---- names ----

    public Node createFile(Node parent, String name) {
        return create(parent, name, Kind.FILE, null, null);
    }

    /**
     * A new file whose content is {@code content}, read in place until the guest changes the file.
     * ENOSPC, naming both sizes, if the blob does not fit in what is free.
     */
    public Node createFile(Node parent, String name, BlobContent content) {
        if (content.sha256().length != 32 || content.size() < 0) {
            throw new IllegalArgumentException("a blob needs a 32-byte SHA-256 and a size of at least 0, not "
                    + content.sha256().length + " bytes and " + content.size());
        }
        return create(parent, name, Kind.FILE, null, content);
    }

    public Node createDirectory(Node parent, String name) {
        return create(parent, name, Kind.DIRECTORY, null, null);
    }

    /** Any target may be stored; an absolute one fails only when followed (ENOTCAPABLE). */
    public Node createSymlink(Node parent, String name, String target) {
        if (target.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, "empty symlink target for '" + name + "'");
        }
        if (PathResolver.utf8Length(target) > MAX_PATH_BYTES) {
            throw new ErrnoException(Errno.ENAMETOOLONG, "symlink target longer than " + MAX_PATH_BYTES + " bytes");
        }
        return create(parent, name, Kind.SYMLINK, target, null);
    }

    private Node create(Node parent, String name, Kind kind, String target, BlobContent blob) {
        requireLiveDirectory(parent);
        requireFreeName(parent, name);
        long now = now();
        Node node = new Node(this, kind, nextIno, now, target);
        if (blob != null) {
            long room = maxBytes - bytesUsed - INODE_COST - entryCost(name);
            if (blob.size() > room) {
                throw new ErrnoException(
                        Errno.ENOSPC,
                        "'" + name + "' from blob sha256:" + Node.hex(blob) + " has " + blob.size()
                                + " bytes; the file system limit is " + maxBytes + " bytes" + usage());
            }
            node.attach(blob);
        }
        reserve(INODE_COST + node.size() + entryCost(name));
        nextIno++;
        node.nlink = kind == Kind.DIRECTORY ? 2 : 1;
        adopt(node);
        putEntry(parent, name, node);
        touch(parent, now);
        return node;
    }

    /** A new name for a file or symlink (POSIX linkat without following); directories are EPERM. */
    public void link(Node target, Node parent, String name) {
        if (target.owner != this || parent.owner != this) {
            throw new ErrnoException(Errno.EXDEV, "link across file systems");
        }
        requireLiveDirectory(parent);
        if (target.kind() == Kind.DIRECTORY) {
            throw new ErrnoException(Errno.EPERM, "hard link to directory " + target);
        }
        if (target.nlink == 0) {
            throw new ErrnoException(Errno.ENOENT, target + " was removed");
        }
        requireFreeName(parent, name);
        reserve(entryCost(name));
        long now = now();
        putEntry(parent, name, target);
        target.nlink++;
        target.ctim = now;
        touch(parent, now);
    }

    public void unlinkFile(Node parent, String name) {
        requireLiveDirectory(parent);
        if (name.equals(".") || name.equals("..")) {
            throw new ErrnoException(Errno.EISDIR, "cannot unlink '" + name + "'");
        }
        Node node = entry(parent, name);
        if (node.kind() == Kind.DIRECTORY) {
            throw new ErrnoException(Errno.EISDIR, "'" + name + "' is a directory");
        }
        long now = now();
        removeEntry(parent, name);
        node.nlink--;
        node.ctim = now;
        if (node.nlink == 0) {
            release(node);
        }
        touch(parent, now);
    }

    public void removeDirectory(Node parent, String name) {
        requireLiveDirectory(parent);
        if (name.equals(".")) {
            throw new ErrnoException(Errno.EINVAL, "cannot remove '.'");
        }
        if (name.equals("..")) {
            throw new ErrnoException(Errno.ENOTEMPTY, "cannot remove '..'");
        }
        Node node = entry(parent, name);
        if (node.kind() != Kind.DIRECTORY) {
            throw new ErrnoException(Errno.ENOTDIR, "'" + name + "' is not a directory");
        }
        if (!node.entries.isEmpty()) {
            throw new ErrnoException(Errno.ENOTEMPTY, "'" + name + "' has " + node.entries.size() + " entries");
        }
        removeEntry(parent, name);
        release(node);
        touch(parent, now());
    }

    /** POSIX rename: replaces a file or an empty directory of the same kind; same inode is a no-op. */
    public void rename(Node fromParent, String fromName, Node toParent, String toName) {
        if (fromParent.owner != this || toParent.owner != this) {
            throw new ErrnoException(Errno.EXDEV, "rename across file systems");
        }
        requireLiveDirectory(fromParent);
        requireLiveDirectory(toParent);
        for (String name : List.of(fromName, toName)) {
            if (name.equals(".") || name.equals("..")) {
                throw new ErrnoException(Errno.EINVAL, "cannot rename '" + name + "'");
            }
        }
        Node moved = entry(fromParent, fromName);
        Errno bad = PathResolver.invalidName(toName);
        if (bad != null) {
            throw new ErrnoException(bad, "invalid name '" + toName + "'");
        }
        Node replaced = toParent.entries.get(toName);
        if (replaced == moved) {
            return;
        }
        if (moved.kind() == Kind.DIRECTORY) {
            for (Node p = toParent; ; p = p.parent) {
                if (p == moved) {
                    throw new ErrnoException(Errno.EINVAL, "cannot move " + moved + " into itself");
                }
                if (p == root) {
                    break;
                }
            }
            if (replaced != null && replaced.kind() != Kind.DIRECTORY) {
                throw new ErrnoException(Errno.ENOTDIR, "'" + toName + "' is not a directory");
            }
            if (replaced != null && !replaced.entries.isEmpty()) {
                throw new ErrnoException(Errno.ENOTEMPTY, "'" + toName + "' is not empty");
            }
        } else if (replaced != null && replaced.kind() == Kind.DIRECTORY) {
            throw new ErrnoException(Errno.EISDIR, "'" + toName + "' is a directory");
        }
        if (replaced == null) {
            reserve(entryCost(toName) - entryCost(fromName)); // replacing only ever frees space
        }
        long now = now();
        if (replaced != null) {
            removeEntry(toParent, toName);
            replaced.nlink = replaced.kind() == Kind.DIRECTORY ? 0 : replaced.nlink - 1;
            replaced.ctim = now;
            if (replaced.nlink == 0) {
                release(replaced);
            }
        }
        removeEntry(fromParent, fromName);
        putEntry(toParent, toName, moved);
        moved.ctim = now;
        touch(fromParent, now);
        touch(toParent, now);
    }

    /** ".", ".." and the children in name order; see {@link DirEntry} for cookies. */
    public List<DirEntry> list(Node dir) {
        requireDirectory(dir);
        List<DirEntry> out = new ArrayList<>(dir.entries.size() + 2);
        out.add(new DirEntry(".", dir.ino(), Kind.DIRECTORY));
        out.add(new DirEntry("..", dir.parent.ino(), Kind.DIRECTORY));
        dir.entries.forEach((name, node) -> out.add(new DirEntry(name, node.ino(), node.kind())));
        return out;
    }

    // ---- file content ----

    /** Reads up to {@code len} bytes at {@code offset}; 0 at or after the end. */
    public int read(Node file, long offset, byte[] dst, int dstOff, int len) {
        requireFile(file);
        Objects.checkFromIndexSize(dstOff, len, dst.length);
        requireOffset(offset);
        return file.read(offset, dst, dstOff, len);
    }

    /** Writes at {@code offset}, zero-filling any gap; returns fewer than {@code len} if space runs out. */
    public int write(Node file, long offset, byte[] src, int srcOff, int len) {
        requireFile(file);
        Objects.checkFromIndexSize(srcOff, len, src.length);
        requireOffset(offset);
        if (len == 0) {
            return 0;
        }
        if (offset > Node.MAX_FILE_SIZE - len) {
            throw new ErrnoException(
                    Errno.EFBIG, "write to " + (offset + len) + " bytes exceeds " + Node.MAX_FILE_SIZE);
        }
        long limit = sizeLimit(file);
        if (offset + len > limit) {
            if (limit <= offset) {
                throw new ErrnoException(Errno.ENOSPC, "no space to write " + file + " at " + offset + usage());
            }
            len = (int) (limit - offset);
        }
        long before = file.size();
        file.materialize(Long.MAX_VALUE);
        file.write((int) offset, src, srcOff, len);
        charge(file, file.size() - before);
        touch(file, now());
        return len;
    }

    public long size(Node node) {
        return node.size();
    }

    /** Truncates or zero-extends; timestamps change only if the size does, as for POSIX ftruncate. */
    public void setSize(Node file, long size) {
        requireFile(file);
        if (size < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative size " + size);
        }
        if (size > Node.MAX_FILE_SIZE) {
            throw new ErrnoException(Errno.EFBIG, "size " + size + " exceeds " + Node.MAX_FILE_SIZE);
        }
        long before = file.size();
        if (size == before) {
            return;
        }
        if (size > before && size > sizeLimit(file)) {
            throw new ErrnoException(Errno.ENOSPC, "no space to grow " + file + " to " + size + usage());
        }
        file.materialize(size);
        file.truncate((int) size);
        charge(file, size - before);
        touch(file, now());
    }

    /** WASI fstflags: each timestamp is left alone, set to the given value, or set to now, never both. */
    public void setTimes(
            Node node, long atim, long mtim, boolean setAtim, boolean setAtimNow, boolean setMtim, boolean setMtimNow) {
        requireOwned(node);
        if ((setAtim && setAtimNow) || (setMtim && setMtimNow)) {
            throw new ErrnoException(Errno.EINVAL, "a timestamp cannot be both given and now");
        }
        if (!(setAtim || setAtimNow || setMtim || setMtimNow)) {
            return;
        }
        long now = now();
        if (setAtim || setAtimNow) {
            node.atim = setAtim ? atim : now;
        }
        if (setMtim || setMtimNow) {
            node.mtim = setMtim ? mtim : now;
        }
        node.ctim = now;
    }

    // ---- state ----

    /**
     * Every inode reachable from the root. A file that is unlinked but still open is not among
     * them: a descriptor on it cannot travel in the image. A file still reading from its blob is
     * named by the blob's hash and size, not carried.
     */
    public FileSystemState toState() {
        return FileSystemCodec.encode(this);
    }

    /**
     * Rebuilds a file system with its inode numbers. A state that is inconsistent, or does not fit
     * {@code maxBytes} here, is a {@link pm.runtime.StateMismatchException}.
     */
    public static FileSystem fromState(FileSystemState state, LongSupplier nowNanos, long maxBytes) {
        return fromState(state, nowNanos, maxBytes, BlobResolver.none());
    }

    /**
     * As above, with the host's blobs: a file the state names by hash reads from {@code blobs}
     * again. A blob this host does not hold, or holds with another size, is a
     * {@link pm.runtime.StateMismatchException} naming its hash.
     */
    public static FileSystem fromState(
            FileSystemState state, LongSupplier nowNanos, long maxBytes, BlobResolver blobs) {
        return FileSystemCodec.decode(state, nowNanos, maxBytes, blobs);
    }

    // ---- bookkeeping: every change of names or sizes goes through these ----

    static long entryCost(String name) {
        return ENTRY_COST + PathResolver.utf8Length(name);
    }

    private void putEntry(Node parent, String name, Node node) {
        parent.entries.put(name, node);
        bytesUsed += entryCost(name);
        if (node.kind() == Kind.DIRECTORY) {
            node.parent = parent;
            parent.nlink++; // the child's ".."
        }
    }

    private void removeEntry(Node parent, String name) {
        Node node = parent.entries.remove(name);
        bytesUsed -= entryCost(name);
        if (node.kind() == Kind.DIRECTORY) {
            parent.nlink--;
        }
    }

    private void adopt(Node node) {
        inodes.put(node.ino(), node);
        bytesUsed += INODE_COST + node.size();
    }

    private void release(Node node) {
        inodes.remove(node.ino());
        bytesUsed -= INODE_COST + node.size();
        node.nlink = 0;
    }

    /** An unlinked (but open) file is no longer charged; only its growth is bounded. */
    private void charge(Node file, long delta) {
        if (file.nlink > 0) {
            bytesUsed += delta;
        }
    }

    /** The size {@code file} may reach with the space that is free. */
    private long sizeLimit(Node file) {
        long free = maxBytes - bytesUsed;
        return Math.min(Node.MAX_FILE_SIZE, file.nlink > 0 ? file.size() + free : free);
    }

    private void reserve(long bytes) {
        if (bytes > 0 && bytesUsed + bytes > maxBytes) {
            throw new ErrnoException(Errno.ENOSPC, "needs " + bytes + " more bytes" + usage());
        }
    }

    private String usage() {
        return " (" + bytesUsed + " of " + maxBytes + " bytes used)";
    }

    private long now() {
        return nowNanos.getAsLong();
    }

    private static void touch(Node node, long now) {
        node.mtim = now;
        node.ctim = now;
    }

    private Node entry(Node parent, String name) {
        Node node = parent.entries.get(name);
        if (node == null) {
            throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in " + parent);
        }
        return node;
    }

    private static void requireFreeName(Node parent, String name) {
        Errno bad = PathResolver.invalidName(name);
        if (bad != null) {
            throw new ErrnoException(bad, "cannot create '" + name + "'");
        }
        if (parent.entries.containsKey(name)) {
            throw new ErrnoException(Errno.EEXIST, "'" + name + "' exists in " + parent);
        }
    }

    private static void requireOffset(long offset) {
        if (offset < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative offset " + offset);
        }
    }

    // A node of another file system reaching these is a host bug, not the guest's: hence no errno.
    private void requireOwned(Node node) {
        if (node.owner != this) {
            throw new IllegalArgumentException(node + " belongs to another file system");
        }
    }

    private void requireDirectory(Node node) {
        requireOwned(node);
        if (node.kind() != Kind.DIRECTORY) {
            throw new ErrnoException(Errno.ENOTDIR, node + " is not a directory");
        }
    }

    private void requireLiveDirectory(Node node) {
        requireDirectory(node);
        if (node.nlink == 0) {
            throw new ErrnoException(Errno.ENOENT, node + " was removed");
        }
    }

    private void requireFile(Node node) {
        requireOwned(node);
        if (node.kind() != Kind.FILE) {
            Errno errno = node.kind() == Kind.DIRECTORY ? Errno.EISDIR : Errno.EINVAL;
            throw new ErrnoException(errno, node + " is not a regular file");
        }
    }
}
