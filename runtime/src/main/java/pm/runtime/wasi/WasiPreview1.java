package pm.runtime.wasi;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import pm.runtime.interp.HostFunctionRef;
import pm.runtime.interp.HostSuspension;
import pm.runtime.interp.Imports;
import pm.runtime.interp.Instance;
import pm.runtime.interp.ValueTypes;

/**
 * The 46 functions of {@code wasi_snapshot_preview1}, implemented over a {@link WasiSession}.
 * Every call answers an errno; only proc_exit throws ({@link ProcessExit}) and poll_oneoff may
 * suspend the machine ({@link HostSuspension}) until its deadline, keeping the deadline in the
 * session so the re-run call completes instead of sleeping again. Sockets answer ENOTSUP (a process
 * has no sockets; channels come through the pm module) and proc_raise ENOSYS (no signals).
 */
public final class WasiPreview1 {
    public static final String MODULE = "wasi_snapshot_preview1";

    private static final byte I = ValueTypes.I32;
    private static final byte L = ValueTypes.I64;

    private final WasiSession session;

    public WasiPreview1(WasiSession session) {
        this.session = session;
    }

    /** Imports for every function (with its standard signature) under {@value #MODULE}. */
    public Imports imports() {
        Imports.Builder b = Imports.builder();
        function(b, "args_get", sig(I, I), (m, a) -> strings(m, session.args, i(a[0]), i(a[1])));
        function(b, "args_sizes_get", sig(I, I), (m, a) -> sizes(m, session.args, i(a[0]), i(a[1])));
        function(b, "environ_get", sig(I, I), (m, a) -> strings(m, session.environment, i(a[0]), i(a[1])));
        function(b, "environ_sizes_get", sig(I, I), (m, a) -> sizes(m, session.environment, i(a[0]), i(a[1])));
        function(b, "clock_res_get", sig(I, I), (m, a) -> clockRes(m, i(a[0]), i(a[1])));
        function(b, "clock_time_get", sig(I, L, I), (m, a) -> clockTime(m, i(a[0]), i(a[2])));
        function(b, "fd_advise", sig(I, L, L, I), (m, a) -> advise(i(a[0]), i(a[3])));
        function(b, "fd_allocate", sig(I, L, L), (m, a) -> allocate(i(a[0]), a[1], a[2]));
        function(b, "fd_close", sig(I), (m, a) -> close(i(a[0])));
        function(b, "fd_datasync", sig(I), (m, a) -> sync(i(a[0])));
        function(b, "fd_sync", sig(I), (m, a) -> sync(i(a[0])));
        function(b, "fd_fdstat_get", sig(I, I), (m, a) -> fdstat(m, i(a[0]), i(a[1])));
        function(b, "fd_fdstat_set_flags", sig(I, I), (m, a) -> setFlags(i(a[0]), i(a[1])));
        function(b, "fd_fdstat_set_rights", sig(I, L, L), (m, a) -> setRights(i(a[0]), a[1], a[2]));
        function(b, "fd_filestat_get", sig(I, I), (m, a) -> fdFilestat(m, i(a[0]), i(a[1])));
        function(b, "fd_filestat_set_size", sig(I, L), (m, a) -> setSize(i(a[0]), a[1]));
        function(b, "fd_filestat_set_times", sig(I, L, L, I), (m, a) -> fdSetTimes(i(a[0]), a[1], a[2], i(a[3])));
        function(b, "fd_pread", sig(I, I, I, L, I), (m, a) -> pread(m, i(a[0]), i(a[1]), i(a[2]), a[3], i(a[4])));
        function(b, "fd_pwrite", sig(I, I, I, L, I), (m, a) -> pwrite(m, i(a[0]), i(a[1]), i(a[2]), a[3], i(a[4])));
        function(b, "fd_prestat_get", sig(I, I), (m, a) -> prestat(m, i(a[0]), i(a[1])));
        function(b, "fd_prestat_dir_name", sig(I, I, I), (m, a) -> prestatName(m, i(a[0]), i(a[1]), i(a[2])));
        function(b, "fd_read", sig(I, I, I, I), (m, a) -> read(m, i(a[0]), i(a[1]), i(a[2]), i(a[3])));
        function(b, "fd_write", sig(I, I, I, I), (m, a) -> write(m, i(a[0]), i(a[1]), i(a[2]), i(a[3])));
        function(b, "fd_readdir", sig(I, I, I, L, I), (m, a) -> readdir(m, i(a[0]), i(a[1]), i(a[2]), a[3], i(a[4])));
        function(b, "fd_renumber", sig(I, I), (m, a) -> renumber(i(a[0]), i(a[1])));
        function(b, "fd_seek", sig(I, L, I, I), (m, a) -> seek(m, i(a[0]), a[1], i(a[2]), i(a[3])));
        function(b, "fd_tell", sig(I, I), (m, a) -> tell(m, i(a[0]), i(a[1])));
        function(b, "path_create_directory", sig(I, I, I), (m, a) -> mkdir(m, i(a[0]), i(a[1]), i(a[2])));
        function(b, "path_filestat_get", sig(I, I, I, I, I),
                (m, a) -> pathFilestat(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4])));
        function(b, "path_filestat_set_times", sig(I, I, I, I, L, L, I),
                (m, a) -> pathSetTimes(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), a[4], a[5], i(a[6])));
        function(b, "path_link", sig(I, I, I, I, I, I, I),
                (m, a) -> link(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), i(a[6])));
        function(b, "path_open", sig(I, I, I, I, I, L, L, I, I),
                (m, a) -> open(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), a[5], a[6], i(a[7]), i(a[8])));
        function(b, "path_readlink", sig(I, I, I, I, I, I),
                (m, a) -> readlink(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5])));
        function(b, "path_remove_directory", sig(I, I, I), (m, a) -> rmdir(m, i(a[0]), i(a[1]), i(a[2])));
        function(b, "path_rename", sig(I, I, I, I, I, I),
                (m, a) -> rename(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5])));
        function(b, "path_symlink", sig(I, I, I, I, I), (m, a) -> symlink(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4])));
        function(b, "path_unlink_file", sig(I, I, I), (m, a) -> unlink(m, i(a[0]), i(a[1]), i(a[2])));
        function(b, "poll_oneoff", sig(I, I, I, I), (m, a) -> poll(m, i(a[0]), i(a[1]), i(a[2]), i(a[3])));
        b.function(MODULE, "proc_exit", new HostFunctionRef("proc_exit", new byte[] {I}, new byte[0], (c, a) -> {
            throw new ProcessExit(i(a[0]));
        }));
        function(b, "proc_raise", sig(I), (m, a) -> Errno.ENOSYS);
        function(b, "random_get", sig(I, I), (m, a) -> random(m, i(a[0]), i(a[1])));
        function(b, "sched_yield", sig(), (m, a) -> Errno.ESUCCESS);
        function(b, "sock_accept", sig(I, I, I), (m, a) -> Errno.ENOTSUP);
        function(b, "sock_recv", sig(I, I, I, I, I, I), (m, a) -> Errno.ENOTSUP);
        function(b, "sock_send", sig(I, I, I, I, I), (m, a) -> Errno.ENOTSUP);
        function(b, "sock_shutdown", sig(I, I), (m, a) -> Errno.ENOTSUP);
        return b.build();
    }

    private static byte[] sig(byte... params) {
        return params;
    }

    private static int i(long v) {
        return (int) v;
    }

    private static void function(
            Imports.Builder b, String name, byte[] params, BiFunction<GuestMemoryLazy, long[], Errno> body) {
        b.function(MODULE, name, new HostFunctionRef(name, params, new byte[] {I}, (caller, args) -> {
            try {
                return new long[] {body.apply(new GuestMemoryLazy(caller), args).code()};
            } catch (ErrnoException e) {
                return new long[] {e.errno().code()};
            }
        }));
    }

    /** Memory of the caller, looked up only by calls that touch memory. */
    static final class GuestMemoryLazy {
        private final Instance caller;
        private GuestMemory memory;

        GuestMemoryLazy(Instance caller) {
            this.caller = caller;
        }

        GuestMemory get() {
            if (memory == null) {
                memory = new GuestMemory(caller);
            }
            return memory;
        }
    }

    // ---------------------------------------------------------------- args, environment, clocks, random

    private static Errno strings(GuestMemoryLazy m, List<String> values, int pointers, int buffer) {
        GuestMemory mem = m.get();
        for (String v : values) {
            byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
            mem.putI32(pointers, buffer);
            pointers += 4;
            mem.write(buffer, bytes, 0, bytes.length);
            mem.putU8(buffer + bytes.length, 0);
            buffer += bytes.length + 1;
        }
        return Errno.ESUCCESS;
    }

    private static Errno sizes(GuestMemoryLazy m, List<String> values, int countPtr, int bytesPtr) {
        int bytes = 0;
        for (String v : values) {
            bytes += v.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        m.get().putI32(countPtr, values.size());
        m.get().putI32(bytesPtr, bytes);
        return Errno.ESUCCESS;
    }

    private Errno clockRes(GuestMemoryLazy m, int id, int resultPtr) {
        checkClock(id);
        m.get().putI64(resultPtr, id == 0 ? 1_000_000L : 1L);
        return Errno.ESUCCESS;
    }

    private Errno clockTime(GuestMemoryLazy m, int id, int resultPtr) {
        m.get().putI64(resultPtr, now(id));
        return Errno.ESUCCESS;
    }

    private static void checkClock(int id) {
        if (id < 0 || id > 3) {
            throw new ErrnoException(Errno.EINVAL, "unknown clock " + id);
        }
    }

    /** Realtime follows the host; the others are the guest's monotonic clock (CPU clocks included). */
    private long now(int id) {
        checkClock(id);
        return id == 0 ? session.realtimeNanos.getAsLong() : session.monotonicNow();
    }

    private Errno random(GuestMemoryLazy m, int buffer, int length) {
        GuestMemory mem = m.get();
        mem.range(buffer, length & 0xFFFF_FFFFL);
        byte[] bytes = new byte[length];
        session.random.nextBytes(bytes);
        mem.write(buffer, bytes, 0, length);
        return Errno.ESUCCESS;
    }

    // ---------------------------------------------------------------- descriptors

    private Fd fd(int fd) {
        return session.fds.get(fd);
    }

    private Fd file(int fd) {
        Fd f = fd(fd);
        if (f.isDirectory()) {
            throw new ErrnoException(Errno.EISDIR, "descriptor " + fd + " is a directory");
        }
        return f;
    }

    private Fd directory(int fd) {
        Fd f = fd(fd);
        if (!f.isDirectory()) {
            throw new ErrnoException(Errno.ENOTDIR, "descriptor " + fd + " is not a directory");
        }
        return f;
    }

    private Errno close(int fd) {
        session.fds.close(fd);
        return Errno.ESUCCESS;
    }

    private Errno sync(int fd) {
        fd(fd);
        return Errno.ESUCCESS;
    }

    private Errno advise(int fd, int advice) {
        file(fd);
        return advice >= 0 && advice <= 5 ? Errno.ESUCCESS : Errno.EINVAL;
    }

    private Errno allocate(int fd, long offset, long length) {
        Fd f = regularFile(fd);
        if (offset < 0 || length < 0) {
            return Errno.EINVAL;
        }
        if (offset + length > f.fs.size(f.node)) {
            f.fs.setSize(f.node, offset + length);
        }
        return Errno.ESUCCESS;
    }

    private Fd regularFile(int fd) {
        Fd f = file(fd);
        if (f.kind != Fd.Kind.FILE) {
            throw new ErrnoException(Errno.ESPIPE, "descriptor " + fd + " is not a regular file");
        }
        return f;
    }

    private Errno fdstat(GuestMemoryLazy m, int fd, int ptr) {
        Fd f = fd(fd);
        GuestMemory mem = m.get();
        mem.range(ptr, 24);
        mem.putU8(ptr, fileType(f));
        mem.putU16(ptr + 2, f.flags);
        mem.putI64(ptr + 8, f.rightsBase);
        mem.putI64(ptr + 16, f.rightsInheriting);
        return Errno.ESUCCESS;
    }

    private static int fileType(Fd f) {
        switch (f.kind) {
            case STDIN:
            case STDOUT:
            case STDERR:
                return 2; // character device
            case PREOPEN:
            case DIRECTORY:
                return 3;
            default:
                return 4;
        }
    }

    private Errno setFlags(int fd, int flags) {
        Fd f = fd(fd);
        if ((flags & ~0x1F) != 0) {
            return Errno.EINVAL;
        }
        f.flags = flags;
        return Errno.ESUCCESS;
    }

    private Errno setRights(int fd, long base, long inheriting) {
        Fd f = fd(fd);
        if ((base & ~f.rightsBase) != 0 || (inheriting & ~f.rightsInheriting) != 0) {
            return Errno.ENOTCAPABLE; // rights can only shrink
        }
        f.rightsBase = base;
        f.rightsInheriting = inheriting;
        return Errno.ESUCCESS;
    }

    private Errno fdFilestat(GuestMemoryLazy m, int fd, int ptr) {
        Fd f = fd(fd);
        if (f.node == null) {
            GuestMemory mem = m.get();
            mem.range(ptr, 64);
            for (int i = 0; i < 64; i += 8) {
                mem.putI64(ptr + i, 0);
            }
            mem.putU8(ptr + 16, 2);
            mem.putI64(ptr + 24, 1);
            return Errno.ESUCCESS;
        }
        writeFilestat(m.get(), ptr, f.node);
        return Errno.ESUCCESS;
    }

    private static void writeFilestat(GuestMemory mem, int ptr, Node node) {
        mem.range(ptr, 64);
        mem.putI64(ptr, 0);
        mem.putI64(ptr + 8, node.ino());
        for (int i = 16; i < 24; i++) {
            mem.putU8(ptr + i, 0);
        }
        mem.putU8(ptr + 16, nodeType(node));
        mem.putI64(ptr + 24, node.nlink());
        mem.putI64(ptr + 32, node.size());
        mem.putI64(ptr + 40, node.atim());
        mem.putI64(ptr + 48, node.mtim());
        mem.putI64(ptr + 56, node.ctim());
    }

    private static int nodeType(Node node) {
        switch (node.kind()) {
            case DIRECTORY:
                return 3;
            case SYMLINK:
                return 7;
            default:
                return 4;
        }
    }

    private Errno setSize(int fd, long size) {
        Fd f = regularFile(fd);
        if (size < 0) {
            return Errno.EINVAL;
        }
        f.fs.setSize(f.node, size);
        return Errno.ESUCCESS;
    }

    private Errno fdSetTimes(int fd, long atim, long mtim, int fst) {
        Fd f = fd(fd);
        if (f.node == null) {
            return Errno.EBADF;
        }
        setTimes(f.fs, f.node, atim, mtim, fst);
        return Errno.ESUCCESS;
    }

    private static void setTimes(FileSystem fs, Node node, long atim, long mtim, int fst) {
        fs.setTimes(node, atim, mtim, (fst & 1) != 0, (fst & 2) != 0, (fst & 4) != 0, (fst & 8) != 0);
    }

    private Errno prestat(GuestMemoryLazy m, int fd, int ptr) {
        Fd f = fd(fd);
        if (f.kind != Fd.Kind.PREOPEN) {
            return Errno.EBADF;
        }
        m.get().putI32(ptr, 0);
        m.get().putI32(ptr + 4, f.preopen.getBytes(StandardCharsets.UTF_8).length);
        return Errno.ESUCCESS;
    }

    private Errno prestatName(GuestMemoryLazy m, int fd, int buffer, int length) {
        Fd f = fd(fd);
        if (f.kind != Fd.Kind.PREOPEN) {
            return Errno.EBADF;
        }
        byte[] name = f.preopen.getBytes(StandardCharsets.UTF_8);
        if (length < name.length) {
            return Errno.ENAMETOOLONG;
        }
        m.get().write(buffer, name, 0, name.length);
        return Errno.ESUCCESS;
    }

    // ---------------------------------------------------------------- reading and writing

    private Errno read(GuestMemoryLazy m, int fd, int iovs, int count, int resultPtr) {
        Fd f = file(fd);
        long total = transfer(m.get(), f, iovs, count, f.offset, true);
        if (f.kind == Fd.Kind.FILE) {
            f.offset += total;
        }
        m.get().putI32(resultPtr, (int) total);
        return Errno.ESUCCESS;
    }

    private Errno pread(GuestMemoryLazy m, int fd, int iovs, int count, long offset, int resultPtr) {
        Fd f = regularFile(fd);
        if (offset < 0) {
            return Errno.EINVAL;
        }
        m.get().putI32(resultPtr, (int) transfer(m.get(), f, iovs, count, offset, true));
        return Errno.ESUCCESS;
    }

    private Errno write(GuestMemoryLazy m, int fd, int iovs, int count, int resultPtr) {
        Fd f = file(fd);
        long at = f.kind == Fd.Kind.FILE && (f.flags & 1) != 0 ? f.fs.size(f.node) : f.offset;
        long total = transfer(m.get(), f, iovs, count, at, false);
        if (f.kind == Fd.Kind.FILE) {
            f.offset = at + total;
        }
        m.get().putI32(resultPtr, (int) total);
        return Errno.ESUCCESS;
    }

    private Errno pwrite(GuestMemoryLazy m, int fd, int iovs, int count, long offset, int resultPtr) {
        Fd f = regularFile(fd);
        if (offset < 0) {
            return Errno.EINVAL;
        }
        m.get().putI32(resultPtr, (int) transfer(m.get(), f, iovs, count, offset, false));
        return Errno.ESUCCESS;
    }

    /** Moves bytes between guest buffers and a descriptor; returns how many moved. */
    private long transfer(GuestMemory mem, Fd f, int iovs, int count, long position, boolean reading) {
        mem.range(iovs, 8L * (count & 0xFFFF_FFFFL));
        byte[] bytes = mem.array();
        long total = 0;
        for (int i = 0; i < count; i++) {
            int buf = mem.i32(iovs + 8 * i);
            int len = mem.i32(iovs + 8 * i + 4);
            mem.range(buf, len & 0xFFFF_FFFFL);
            int n;
            switch (f.kind) {
                case STDIN:
                    if (!reading) {
                        throw new ErrnoException(Errno.EBADF, "stdin is not writable");
                    }
                    n = Math.max(0, session.stdin.read(session.stdinPosition, bytes, buf, len));
                    session.stdinPosition += n;
                    break;
                case STDOUT:
                case STDERR:
                    if (reading) {
                        throw new ErrnoException(Errno.EBADF, "stdout and stderr are not readable");
                    }
                    (f.kind == Fd.Kind.STDOUT ? session.stdout : session.stderr).write(bytes, buf, len);
                    n = len;
                    break;
                default:
                    n = reading
                            ? f.fs.read(f.node, position + total, bytes, buf, len)
                            : f.fs.write(f.node, position + total, bytes, buf, len);
                    break;
            }
            total += n;
            if (n < len) {
                break;
            }
        }
        return total;
    }

    private Errno seek(GuestMemoryLazy m, int fd, long offset, int whence, int resultPtr) {
        Fd f = file(fd);
        if (f.kind != Fd.Kind.FILE) {
            return Errno.ESPIPE;
        }
        long base;
        switch (whence) {
            case 0:
                base = 0;
                break;
            case 1:
                base = f.offset;
                break;
            case 2:
                base = f.fs.size(f.node);
                break;
            default:
                return Errno.EINVAL;
        }
        long target = base + offset;
        if (target < 0) {
            return Errno.EINVAL;
        }
        f.offset = target;
        m.get().putI64(resultPtr, target);
        return Errno.ESUCCESS;
    }

    private Errno tell(GuestMemoryLazy m, int fd, int resultPtr) {
        Fd f = file(fd);
        if (f.kind != Fd.Kind.FILE) {
            return Errno.ESPIPE;
        }
        m.get().putI64(resultPtr, f.offset);
        return Errno.ESUCCESS;
    }

    private Errno renumber(int from, int to) {
        session.fds.renumber(from, to);
        return Errno.ESUCCESS;
    }

    private Errno readdir(GuestMemoryLazy m, int fd, int buffer, int length, long cookie, int resultPtr) {
        Fd f = directory(fd);
        GuestMemory mem = m.get();
        mem.range(buffer, length & 0xFFFF_FFFFL);
        List<FileSystem.DirEntry> entries = f.fs.list(f.node);
        int used = 0;
        for (long i = Math.max(0, cookie); i < entries.size() && used < length; i++) {
            FileSystem.DirEntry e = entries.get((int) i);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            byte[] record = new byte[24 + name.length];
            java.nio.ByteBuffer rb = java.nio.ByteBuffer.wrap(record).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            rb.putLong(0, i + 1).putLong(8, e.ino()).putInt(16, name.length).put(20, (byte) nodeType(e.kind()));
            System.arraycopy(name, 0, record, 24, name.length);
            int n = Math.min(record.length, length - used); // a truncated last entry tells the guest to grow its buffer
            mem.write(buffer + used, record, 0, n);
            used += n;
        }
        mem.putI32(resultPtr, used);
        return Errno.ESUCCESS;
    }

    private static int nodeType(Node.Kind kind) {
        return kind == Node.Kind.DIRECTORY ? 3 : kind == Node.Kind.SYMLINK ? 7 : 4;
    }

    // ---------------------------------------------------------------- paths

    private String path(GuestMemoryLazy m, int ptr, int length) {
        return m.get().string(ptr, length);
    }

    private Errno mkdir(GuestMemoryLazy m, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd);
        FileSystem.Located at = dir.fs.resolveParent(dir.node, path(m, pathPtr, pathLen));
        dir.fs.createDirectory(at.parent(), at.name());
        return Errno.ESUCCESS;
    }

    private Errno pathFilestat(GuestMemoryLazy m, int fd, int flags, int pathPtr, int pathLen, int ptr) {
        Fd dir = directory(fd);
        Node node = dir.fs.resolve(dir.node, path(m, pathPtr, pathLen), (flags & 1) != 0);
        writeFilestat(m.get(), ptr, node);
        return Errno.ESUCCESS;
    }

    private Errno pathSetTimes(GuestMemoryLazy m, int fd, int flags, int pathPtr, int pathLen, long atim, long mtim, int fst) {
        Fd dir = directory(fd);
        setTimes(dir.fs, dir.fs.resolve(dir.node, path(m, pathPtr, pathLen), (flags & 1) != 0), atim, mtim, fst);
        return Errno.ESUCCESS;
    }

    private Errno link(GuestMemoryLazy m, int oldFd, int oldFlags, int oldPtr, int oldLen, int newFd, int newPtr, int newLen) {
        Fd from = directory(oldFd);
        Fd to = directory(newFd);
        if (from.fs != to.fs) {
            return Errno.EXDEV;
        }
        Node target = from.fs.resolve(from.node, path(m, oldPtr, oldLen), (oldFlags & 1) != 0);
        FileSystem.Located at = to.fs.resolveParent(to.node, path(m, newPtr, newLen));
        to.fs.link(target, at.parent(), at.name());
        return Errno.ESUCCESS;
    }

    private Errno open(GuestMemoryLazy m, int fd, int dirflags, int pathPtr, int pathLen, int oflags,
            long rightsBase, long rightsInheriting, int fdflags, int resultPtr) {
        Fd dir = directory(fd);
        String path = path(m, pathPtr, pathLen);
        boolean create = (oflags & 1) != 0;
        boolean mustBeDir = (oflags & 2) != 0;
        boolean exclusive = (oflags & 4) != 0;
        boolean truncate = (oflags & 8) != 0;
        Node node;
        try {
            node = dir.fs.resolve(dir.node, path, (dirflags & 1) != 0);
            if (create && exclusive) {
                return Errno.EEXIST;
            }
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT || !create) {
                throw e;
            }
            FileSystem.Located at = dir.fs.resolveParent(dir.node, path);
            node = dir.fs.createFile(at.parent(), at.name());
        }
        if (node.kind() == Node.Kind.SYMLINK) {
            return Errno.ELOOP; // O_NOFOLLOW on a symlink
        }
        boolean isDir = node.kind() == Node.Kind.DIRECTORY;
        if (mustBeDir && !isDir) {
            return Errno.ENOTDIR;
        }
        if (isDir && (truncate || (rightsBase & 0x40L) != 0)) { // fd_write right on a directory
            return Errno.EISDIR;
        }
        if (truncate) {
            dir.fs.setSize(node, 0);
        }
        Fd opened = new Fd(isDir ? Fd.Kind.DIRECTORY : Fd.Kind.FILE, dir.preopen, dir.fs, node, fdflags,
                rightsBase & dir.rightsInheriting, rightsInheriting & dir.rightsInheriting);
        m.get().range(resultPtr, 4);
        m.get().putI32(resultPtr, session.fds.add(opened));
        return Errno.ESUCCESS;
    }

    private Errno readlink(GuestMemoryLazy m, int fd, int pathPtr, int pathLen, int buffer, int length, int resultPtr) {
        Fd dir = directory(fd);
        Node node = dir.fs.resolve(dir.node, path(m, pathPtr, pathLen), false);
        if (node.kind() != Node.Kind.SYMLINK) {
            return Errno.EINVAL;
        }
        byte[] target = node.symlinkTarget().getBytes(StandardCharsets.UTF_8);
        int n = Math.min(target.length, length);
        m.get().write(buffer, target, 0, n);
        m.get().putI32(resultPtr, n);
        return Errno.ESUCCESS;
    }

    private Errno rmdir(GuestMemoryLazy m, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd);
        FileSystem.Located at = dir.fs.resolveParent(dir.node, path(m, pathPtr, pathLen));
        dir.fs.removeDirectory(at.parent(), at.name());
        return Errno.ESUCCESS;
    }

    private Errno rename(GuestMemoryLazy m, int fd, int oldPtr, int oldLen, int newFd, int newPtr, int newLen) {
        Fd from = directory(fd);
        Fd to = directory(newFd);
        if (from.fs != to.fs) {
            return Errno.EXDEV;
        }
        FileSystem.Located a = from.fs.resolveParent(from.node, path(m, oldPtr, oldLen));
        FileSystem.Located b = to.fs.resolveParent(to.node, path(m, newPtr, newLen));
        from.fs.rename(a.parent(), a.name(), b.parent(), b.name());
        return Errno.ESUCCESS;
    }

    private Errno symlink(GuestMemoryLazy m, int targetPtr, int targetLen, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd);
        String target = path(m, targetPtr, targetLen);
        FileSystem.Located at = dir.fs.resolveParent(dir.node, path(m, pathPtr, pathLen));
        dir.fs.createSymlink(at.parent(), at.name(), target);
        return Errno.ESUCCESS;
    }

    private Errno unlink(GuestMemoryLazy m, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd);
        FileSystem.Located at = dir.fs.resolveParent(dir.node, path(m, pathPtr, pathLen));
        dir.fs.unlinkFile(at.parent(), at.name());
        return Errno.ESUCCESS;
    }

    // ---------------------------------------------------------------- poll

    /**
     * Clock subscriptions sleep: the first call records the earliest deadline in the session and
     * suspends; the call run again after the deadline reports the events. Descriptor subscriptions
     * are always ready (stdio and in-memory files never block).
     */
    private Errno poll(GuestMemoryLazy m, int in, int out, int count, int resultPtr) {
        if (count == 0) {
            return Errno.EINVAL;
        }
        GuestMemory mem = m.get();
        mem.range(in, 48L * count);
        mem.range(out, 32L * count);
        long now = session.monotonicNow();
        // A re-run call measures relative timeouts from the first call, not from now.
        long base = session.pendingWakeAt >= 0 ? session.pendingPollBase : now;
        long earliest = Long.MAX_VALUE;
        boolean anyReady = false;
        for (int i = 0; i < count; i++) {
            int s = in + 48 * i;
            int tag = mem.u8(s + 8);
            if (tag == 0) {
                earliest = Math.min(earliest, deadline(mem, s, base));
            } else if (tag == 1 || tag == 2) {
                anyReady = true;
            } else {
                return Errno.EINVAL;
            }
        }
        if (!anyReady && earliest > now) {
            if (session.pendingWakeAt < 0) {
                session.pendingPollBase = now;
                session.pendingWakeAt = earliest;
            }
            throw new HostSuspension("sleeping until monotonic " + session.pendingWakeAt);
        }
        session.pendingWakeAt = -1;
        long fireBefore = anyReady ? now : Math.max(now, earliest);
        int events = 0;
        for (int i = 0; i < count; i++) {
            int s = in + 48 * i;
            int tag = mem.u8(s + 8);
            if (tag == 0 && deadline(mem, s, base) > fireBefore) {
                continue;
            }
            int e = out + 32 * events++;
            mem.putI64(e, mem.i64(s));
            mem.putU16(e + 8, 0);
            mem.putU8(e + 10, tag);
            mem.putI64(e + 16, tag == 0 ? 0 : readyBytes(mem.i32(s + 16)));
            mem.putU16(e + 24, 0);
        }
        mem.putI32(resultPtr, events);
        return Errno.ESUCCESS;
    }

    /** A clock subscription's deadline on the guest monotonic clock. */
    private long deadline(GuestMemory mem, int s, long base) {
        long timeout = mem.i64(s + 24);
        boolean absolute = (mem.u16(s + 40) & 1) != 0;
        int clock = mem.i32(s + 16);
        if (!absolute) {
            return base + timeout;
        }
        return clock == 0 ? base + (timeout - session.realtimeNanos.getAsLong()) : timeout;
    }

    private long readyBytes(int fd) {
        Fd f = session.fds.get(fd);
        return f.kind == Fd.Kind.FILE ? Math.max(0, f.fs.size(f.node) - f.offset) : 0;
    }

    /** For tests and tools: the open descriptors as (number → kind). */
    Map<Integer, Fd.Kind> openDescriptors() {
        Map<Integer, Fd.Kind> out = new java.util.TreeMap<>();
        List<Fd> slots = session.fds.slots();
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i) != null) {
                out.put(i, slots.get(i).kind);
            }
        }
        return out;
    }
}
