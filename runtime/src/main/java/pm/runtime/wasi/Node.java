package pm.runtime.wasi;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One inode of a {@link FileSystem}: a regular file, a directory or a symbolic link. Anyone may
 * read it through the accessors; only its file system changes it, so that link counts, timestamps
 * and the byte accounting stay consistent. Everything here is plain data because a process image
 * carries it, except a file's {@link BlobContent}, which an image names by hash.
 *
 * <p>Link counts follow POSIX: a file or symlink counts its names; a directory counts its name, its
 * own "." and the ".." of each subdirectory (the root's ".." names itself). A removed inode has 0.
 */
public final class Node {
    public enum Kind {
        FILE,
        DIRECTORY,
        SYMLINK
    }

    /**
     * Largest file held in the heap: Java arrays cannot reliably be allocated closer to
     * {@code Integer.MAX_VALUE}. A file read from a blob may be larger, but cannot be changed.
     */
    public static final int MAX_FILE_SIZE = Integer.MAX_VALUE - 8;

    private static final byte[] EMPTY = new byte[0];

    final FileSystem owner;
    private final Kind kind;
    private final long ino;
    long nlink;
    long atim;
    long mtim;
    long ctim;

    // FILE. The content is data[0, length). Bytes from length to data.length are kept zero, so a
    // file that grows (write past the end, setSize) needs no clearing: POSIX says the gap reads 0.
    private byte[] data = EMPTY;
    private int length;
    // FILE whose content is still the host's blob (copy-on-write): then data is EMPTY and length 0.
    // The first change copies the blob into data and drops it.
    private BlobContent blob;

    // DIRECTORY: entries without "." and ".."; parent is the directory holding this one's name.
    final TreeMap<String, Node> entries;
    Node parent;

    // SYMLINK
    private final String target;

    Node(FileSystem owner, Kind kind, long ino, long now, String target) {
        this.owner = owner;
        this.kind = kind;
        this.ino = ino;
        this.atim = now;
        this.mtim = now;
        this.ctim = now;
        this.entries = kind == Kind.DIRECTORY ? new TreeMap<>() : null;
        this.parent = this;
        this.target = target;
    }

    public Kind kind() {
        return kind;
    }

    /** Unique among the live inodes of one file system, and kept across {@code toState}/{@code fromState}. */
    public long ino() {
        return ino;
    }

    public long nlink() {
        return nlink;
    }

    /** Nanoseconds, as the file system's clock gives them. */
    public long atim() {
        return atim;
    }

    public long mtim() {
        return mtim;
    }

    public long ctim() {
        return ctim;
    }

    /** Bytes of a file, UTF-8 bytes of a symlink's target (as POSIX lstat), 0 for a directory. */
    public long size() {
        return switch (kind) {
            case FILE -> blob != null ? blob.size() : length;
            case SYMLINK -> target.getBytes(StandardCharsets.UTF_8).length;
            case DIRECTORY -> 0;
        };
    }

    /** The target of a symlink, as it was created; EINVAL for anything else, as readlink says. */
    public String symlinkTarget() {
        if (kind != Kind.SYMLINK) {
            throw new ErrnoException(Errno.EINVAL, "inode " + ino + " is not a symbolic link");
        }
        return target;
    }

    /** The blob a file still reads its content from; empty once the file was changed, or if it never had one. */
    public Optional<BlobContent> blob() {
        return Optional.ofNullable(blob);
    }

    @Override
    public String toString() {
        return kind + " inode " + ino;
    }

    // ---- file content; limits and accounting are the file system's business ----

    int read(long offset, byte[] dst, int dstOff, int len) {
        if (blob != null) {
            return readBlob(offset, dst, dstOff, len);
        }
        if (offset >= length) {
            return 0;
        }
        int n = (int) Math.min(len, length - offset);
        System.arraycopy(data, (int) offset, dst, dstOff, n);
        return n;
    }

    void write(int offset, byte[] src, int srcOff, int len) {
        int end = offset + len;
        if (end > length) {
            ensureCapacity(end);
            length = end;
        }
        System.arraycopy(src, srcOff, data, offset, len);
    }

    void truncate(int size) {
        if (size < length) {
            if (size < data.length / 4) {
                data = Arrays.copyOf(data, size); // give memory back after a large shrink
            } else {
                Arrays.fill(data, size, length, (byte) 0);
            }
        } else {
            ensureCapacity(size);
        }
        length = size;
    }

    /** The backing array of a file holding its own bytes; only bytes [0, size()) are content. */
    byte[] rawData() {
        if (blob != null) {
            throw new IllegalStateException(this + " reads from a blob; it has no bytes of its own");
        }
        return data;
    }

    void replaceContent(byte[] content) {
        blob = null;
        data = content;
        length = content.length;
    }

    /** Makes {@code content} this file's whole content, read in place until the file is changed. */
    void attach(BlobContent content) {
        blob = content;
        data = EMPTY;
        length = 0;
    }

    /**
     * Before a change: a blob-backed file takes its own copy of the first {@code keep} bytes (all
     * that a truncation to {@code keep} leaves), so the blob itself is never written. EFBIG if that
     * copy cannot be one array; then the file stays as it was.
     */
    void materialize(long keep) {
        if (blob == null) {
            return;
        }
        long n = Math.min(keep, blob.size());
        if (n > MAX_FILE_SIZE) {
            throw new ErrnoException(
                    Errno.EFBIG,
                    this + " holds " + blob.size() + " bytes from a blob; files over " + MAX_FILE_SIZE
                            + " bytes cannot be changed");
        }
        byte[] copy = new byte[(int) n];
        readBlob(0, copy, 0, copy.length);
        replaceContent(copy);
    }

    /** Reads until {@code len} bytes or the end: a short read of a blob is the host's, not the end of the file. */
    private int readBlob(long offset, byte[] dst, int dstOff, int len) {
        long size = blob.size();
        if (offset >= size) {
            return 0;
        }
        int wanted = (int) Math.min(len, size - offset);
        int done = 0;
        while (done < wanted) {
            int n;
            try {
                n = blob.read(offset + done, dst, dstOff + done, wanted - done);
            } catch (UncheckedIOException e) {
                // The host's disk failed, not the guest: the guest sees EIO, as from a bad disk.
                throw new ErrnoException(
                        Errno.EIO, "cannot read blob sha256:" + hex(blob) + " of " + this + ": " + e.getMessage());
            }
            if (n <= 0) {
                throw new ErrnoException(
                        Errno.EIO,
                        "blob sha256:" + hex(blob) + " of " + this + " ended at byte " + (offset + done) + " of "
                                + size);
            }
            done += n;
        }
        return done;
    }

    static String hex(BlobContent content) {
        return HexFormat.of().formatHex(content.sha256());
    }

    private void ensureCapacity(int needed) {
        if (needed > data.length) {
            long doubled = Math.max(needed, 2L * data.length);
            data = Arrays.copyOf(data, (int) Math.min(MAX_FILE_SIZE, doubled));
        }
    }
}
