package pm.runtime.wasi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * One inode of a {@link FileSystem}: a regular file, a directory or a symbolic link. Anyone may
 * read it through the accessors; only its file system changes it, so that link counts, timestamps
 * and the byte accounting stay consistent. Everything here is plain data because a process image
 * carries it.
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

    /** Largest file: Java arrays cannot reliably be allocated closer to {@code Integer.MAX_VALUE}. */
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
            case FILE -> length;
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

    @Override
    public String toString() {
        return kind + " inode " + ino;
    }

    // ---- file content; limits and accounting are the file system's business ----

    int read(long offset, byte[] dst, int dstOff, int len) {
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

    /** The backing array; only bytes [0, size()) are content. */
    byte[] rawData() {
        return data;
    }

    void replaceContent(byte[] content) {
        data = content;
        length = content.length;
    }

    private void ensureCapacity(int needed) {
        if (needed > data.length) {
            long doubled = Math.max(needed, 2L * data.length);
            data = Arrays.copyOf(data, (int) Math.min(MAX_FILE_SIZE, doubled));
        }
    }
}
