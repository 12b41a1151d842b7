package pm.runtime.wasi;

/**
 * One open descriptor: a capability the guest holds. Mutable (offset, flags, rights) and owned by
 * the process's thread. Stdio descriptors have no node; file and directory descriptors name the
 * preopen they live in, so a restore can bind them again to the same place. Its rights are those
 * asked for, cut down to what its kind may hold ({@link Rights}).
 */
final class Fd {
    enum Kind {
        STDIN,
        STDOUT,
        STDERR,
        PREOPEN,
        DIRECTORY,
        FILE
    }

    final Kind kind;
    final String preopen; // guest path of the preopened directory ("/data"), null for stdio
    final FileSystem fs;
    final Node node;
    long offset;
    int flags;
    long rightsBase;
    long rightsInheriting;

    Fd(Kind kind, String preopen, FileSystem fs, Node node, int flags, long rightsBase, long rightsInheriting) {
        this.kind = kind;
        this.preopen = preopen;
        this.fs = fs;
        this.node = node;
        this.flags = flags;
        // Never more than the kind allows, whatever was asked for or restored from an older image.
        this.rightsBase = rightsBase & Rights.maxBase(kind);
        this.rightsInheriting = rightsInheriting & Rights.maxInheriting(kind);
    }

    boolean isDirectory() {
        return kind == Kind.PREOPEN || kind == Kind.DIRECTORY;
    }
}
