package pm.runtime.wasi;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The descriptor and path functions of WASI preview 1 (fd_*, path_*) over a session's descriptor
 * table and in-memory file systems. Each returns an errno or throws {@link ErrnoException};
 * {@link WasiPreview1} binds them to their imports. Owned by the process's thread.
 *
 * <p>Checks come in node:wasi's order: a descriptor that does not exist is EBADF, one without the
 * right the call needs is ENOTCAPABLE, and only then does the kind of descriptor matter (EISDIR,
 * ENOTDIR, ESPIPE). Rights are those of {@link Rights}.
 */
final class WasiFiles {
    private final WasiSession session;

    WasiFiles(WasiSession session) {
        this.session = session;
    }

    // ---------------------------------------------------------------- descriptors

    private Fd fd(int fd) {
        return session.fds.get(fd);
    }

    /** The descriptor, which must hold every right in {@code rights}. */
    private Fd fd(int fd, long rights) {
        Fd f = session.fds.get(fd);
        Rights.require(f, fd, rights);
        return f;
    }

    private Fd file(int fd, long rights) {
        Fd f = fd(fd, rights);
        if (f.isDirectory()) {
            throw new ErrnoException(Errno.EISDIR, "descriptor " + fd + " is a directory");
        }
        return f;
    }

    private Fd directory(int fd, long rights) {
        Fd f = fd(fd, rights);
        if (!f.isDirectory()) {
            throw new ErrnoException(Errno.ENOTDIR, "descriptor " + fd + " is not a directory");
        }
        return f;
    }

    Errno close(int fd) {
        session.fds.close(fd);
        return Errno.ESUCCESS;
    }

    Errno sync(int fd, long right) {
        fd(fd, right);
        return Errno.ESUCCESS;
    }

    Errno advise(int fd, int advice) {
        file(fd, Rights.FD_ADVISE);
        return advice >= 0 && advice <= 5 ? Errno.ESUCCESS : Errno.EINVAL;
    }

    Errno allocate(int fd, long offset, long length) {
        Fd f = regularFile(fd, Rights.FD_ALLOCATE);
        if (offset < 0 || length < 0) {
            return Errno.EINVAL;
        }
        if (offset + length > f.fs.size(f.node)) {
            f.fs.setSize(f.node, offset + length);
        }
        return Errno.ESUCCESS;
    }

    private Fd regularFile(int fd, long rights) {
        Fd f = file(fd, rights);
        if (f.kind != Fd.Kind.FILE) {
            throw new ErrnoException(Errno.ESPIPE, "descriptor " + fd + " is not a regular file");
        }
        return f;
    }

    Errno fdstat(LazyGuestMemory m, int fd, int ptr) {
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

    Errno setFlags(int fd, int flags) {
        Fd f = fd(fd, Rights.FD_FDSTAT_SET_FLAGS);
        if ((flags & ~0x1F) != 0) {
            return Errno.EINVAL;
        }
        f.flags = flags;
        return Errno.ESUCCESS;
    }

    Errno setRights(int fd, long base, long inheriting) {
        Fd f = fd(fd);
        if ((base & ~f.rightsBase) != 0 || (inheriting & ~f.rightsInheriting) != 0) {
            return Errno.ENOTCAPABLE; // rights can only shrink
        }
        f.rightsBase = base;
        f.rightsInheriting = inheriting;
        return Errno.ESUCCESS;
    }

    Errno fdFilestat(LazyGuestMemory m, int fd, int ptr) {
        Fd f = fd(fd, Rights.FD_FILESTAT_GET);
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

    Errno setSize(int fd, long size) {
        Fd f = regularFile(fd, Rights.FD_FILESTAT_SET_SIZE);
        if (size < 0) {
            return Errno.EINVAL;
        }
        f.fs.setSize(f.node, size);
        return Errno.ESUCCESS;
    }

    Errno fdSetTimes(int fd, long atim, long mtim, int fst) {
        Fd f = fd(fd, Rights.FD_FILESTAT_SET_TIMES);
        if (f.node == null) {
            return Errno.EBADF;
        }
        setTimes(f.fs, f.node, atim, mtim, fst);
        return Errno.ESUCCESS;
    }

    private static void setTimes(FileSystem fs, Node node, long atim, long mtim, int fst) {
        fs.setTimes(node, atim, mtim, (fst & 1) != 0, (fst & 2) != 0, (fst & 4) != 0, (fst & 8) != 0);
    }

    Errno prestat(LazyGuestMemory m, int fd, int ptr) {
        Fd f = fd(fd);
        if (f.kind != Fd.Kind.PREOPEN) {
            return Errno.EBADF;
        }
        m.get().putI32(ptr, 0);
        m.get().putI32(ptr + 4, f.preopen.getBytes(StandardCharsets.UTF_8).length);
        return Errno.ESUCCESS;
    }

    Errno prestatName(LazyGuestMemory m, int fd, int buffer, int length) {
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

    Errno read(LazyGuestMemory m, int fd, int iovs, int count, int resultPtr) {
        Fd f = file(fd, Rights.FD_READ);
        long total = transfer(m.get(), f, iovs, count, f.offset, true);
        if (f.kind == Fd.Kind.FILE) {
            f.offset += total;
        }
        m.get().putI32(resultPtr, (int) total);
        return Errno.ESUCCESS;
    }

    Errno pread(LazyGuestMemory m, int fd, int iovs, int count, long offset, int resultPtr) {
        Fd f = regularFile(fd, Rights.FD_READ | Rights.FD_SEEK);
        if (offset < 0) {
            return Errno.EINVAL;
        }
        m.get().putI32(resultPtr, (int) transfer(m.get(), f, iovs, count, offset, true));
        return Errno.ESUCCESS;
    }

    Errno write(LazyGuestMemory m, int fd, int iovs, int count, int resultPtr) {
        Fd f = file(fd, Rights.FD_WRITE);
        if (f.kind == Fd.Kind.STDOUT || f.kind == Fd.Kind.STDERR) {
            boolean ready = (f.kind == Fd.Kind.STDOUT ? session.stdout : session.stderr).ready();
            session.outputWaiting = !ready;
            if (!ready) {
                // Parks before the call, which runs again once the embedder wakes the process.
                throw new pm.runtime.interp.HostSuspension("waiting for its output to be read");
            }
        }
        long at = f.kind == Fd.Kind.FILE && (f.flags & 1) != 0 ? f.fs.size(f.node) : f.offset;
        long total = transfer(m.get(), f, iovs, count, at, false);
        if (f.kind == Fd.Kind.FILE) {
            f.offset = at + total;
        }
        m.get().putI32(resultPtr, (int) total);
        return Errno.ESUCCESS;
    }

    Errno pwrite(LazyGuestMemory m, int fd, int iovs, int count, long offset, int resultPtr) {
        Fd f = regularFile(fd, Rights.FD_WRITE | Rights.FD_SEEK);
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
            if (reading) {
                mem.written(buf, n);
            }
            total += n;
            if (n < len) {
                break;
            }
        }
        return total;
    }

    Errno seek(LazyGuestMemory m, int fd, long offset, int whence, int resultPtr) {
        // Asking where one is (offset 0 from the current position) is telling, not seeking.
        Fd f = file(fd, offset == 0 && whence == 1 ? Rights.FD_TELL : Rights.FD_SEEK);
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

    Errno tell(LazyGuestMemory m, int fd, int resultPtr) {
        Fd f = file(fd, Rights.FD_TELL);
        if (f.kind != Fd.Kind.FILE) {
            return Errno.ESPIPE;
        }
        m.get().putI64(resultPtr, f.offset);
        return Errno.ESUCCESS;
    }

    Errno renumber(int from, int to) {
        session.fds.renumber(from, to);
        return Errno.ESUCCESS;
    }

    Errno readdir(LazyGuestMemory m, int fd, int buffer, int length, long cookie, int resultPtr) {
        Fd f = directory(fd, Rights.FD_READDIR);
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

    private String path(LazyGuestMemory m, int ptr, int length) {
        return m.get().string(ptr, length);
    }

    Errno mkdir(LazyGuestMemory m, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd, Rights.PATH_CREATE_DIRECTORY);
        FileSystem.Located at = dir.fs.resolveParentBeneath(dir.node, path(m, pathPtr, pathLen));
        dir.fs.createDirectory(at.parent(), at.name());
        return Errno.ESUCCESS;
    }

    Errno pathFilestat(LazyGuestMemory m, int fd, int flags, int pathPtr, int pathLen, int ptr) {
        Fd dir = directory(fd, Rights.PATH_FILESTAT_GET);
        Node node = dir.fs.resolveBeneath(dir.node, path(m, pathPtr, pathLen), (flags & 1) != 0);
        writeFilestat(m.get(), ptr, node);
        return Errno.ESUCCESS;
    }

    Errno pathSetTimes(LazyGuestMemory m, int fd, int flags, int pathPtr, int pathLen, long atim, long mtim, int fst) {
        Fd dir = directory(fd, Rights.PATH_FILESTAT_SET_TIMES);
        setTimes(dir.fs, dir.fs.resolveBeneath(dir.node, path(m, pathPtr, pathLen), (flags & 1) != 0), atim, mtim, fst);
        return Errno.ESUCCESS;
    }

    Errno link(LazyGuestMemory m, int oldFd, int oldFlags, int oldPtr, int oldLen, int newFd, int newPtr, int newLen) {
        Fd from = directory(oldFd, Rights.PATH_LINK_SOURCE);
        Fd to = directory(newFd, Rights.PATH_LINK_TARGET);
        if (from.fs != to.fs) {
            return Errno.EXDEV;
        }
        Node target = from.fs.resolveBeneath(from.node, path(m, oldPtr, oldLen), (oldFlags & 1) != 0);
        FileSystem.Located at = newName(to, path(m, newPtr, newLen));
        to.fs.link(target, at.parent(), at.name());
        return Errno.ESUCCESS;
    }

    /**
     * Opens beneath a directory descriptor. The new descriptor's rights are those asked for, cut
     * down to the directory's inheriting rights and to what its kind may hold (no fd_seek on a
     * directory, nothing to inherit on a file). Asking for fd_write on a directory is EISDIR, as
     * opening a directory for writing is on POSIX, with or without O_DIRECTORY.
     */
    Errno open(
            LazyGuestMemory m,
            int fd,
            int dirflags,
            int pathPtr,
            int pathLen,
            int oflags,
            long rightsBase,
            long rightsInheriting,
            int fdflags,
            int resultPtr) {
        boolean create = (oflags & 1) != 0;
        boolean mustBeDir = (oflags & 2) != 0;
        boolean exclusive = (oflags & 4) != 0;
        boolean truncate = (oflags & 8) != 0;
        long needed = Rights.PATH_OPEN
                | (create ? Rights.PATH_CREATE_FILE : 0)
                | (truncate ? Rights.PATH_FILESTAT_SET_SIZE : 0);
        Fd dir = directory(fd, needed);
        String path = path(m, pathPtr, pathLen);
        Node node;
        try {
            node = dir.fs.resolveBeneath(dir.node, path, (dirflags & 1) != 0);
            if (create && exclusive) {
                return Errno.EEXIST;
            }
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOENT || !create) {
                throw e;
            }
            FileSystem.Located at = dir.fs.resolveParentBeneath(dir.node, path);
            node = dir.fs.createFile(at.parent(), at.name());
        }
        if (node.kind() == Node.Kind.SYMLINK) {
            return Errno.ELOOP; // O_NOFOLLOW on a symlink
        }
        boolean isDir = node.kind() == Node.Kind.DIRECTORY;
        if (mustBeDir && !isDir) {
            return Errno.ENOTDIR;
        }
        if (isDir && (truncate || (rightsBase & Rights.FD_WRITE) != 0)) {
            return Errno.EISDIR;
        }
        if (truncate) {
            dir.fs.setSize(node, 0);
        }
        Fd opened = new Fd(
                isDir ? Fd.Kind.DIRECTORY : Fd.Kind.FILE,
                dir.preopen,
                dir.fs,
                node,
                fdflags,
                rightsBase & dir.rightsInheriting,
                rightsInheriting & dir.rightsInheriting);
        m.get().range(resultPtr, 4);
        m.get().putI32(resultPtr, session.fds.add(opened));
        return Errno.ESUCCESS;
    }

    /**
     * Where a new link or symlink goes. Its name may not end with a slash: POSIX reads the slash
     * as "this is a directory", which a name not yet made cannot be (ENOENT); an existing file is
     * ENOTDIR and an existing directory EEXIST, as on Linux, wasmtime and node:wasi.
     */
    private static FileSystem.Located newName(Fd dir, String path) {
        FileSystem.Located at = dir.fs.resolveParentBeneath(dir.node, path);
        if (path.endsWith("/") && !at.parent().entries.containsKey(at.name())) {
            throw new ErrnoException(Errno.ENOENT, "'" + path + "': a new name cannot end with a slash");
        }
        return at;
    }

    Errno readlink(LazyGuestMemory m, int fd, int pathPtr, int pathLen, int buffer, int length, int resultPtr) {
        Fd dir = directory(fd, Rights.PATH_READLINK);
        Node node = dir.fs.resolveBeneath(dir.node, path(m, pathPtr, pathLen), false);
        if (node.kind() != Node.Kind.SYMLINK) {
            return Errno.EINVAL;
        }
        byte[] target = node.symlinkTarget().getBytes(StandardCharsets.UTF_8);
        int n = Math.min(target.length, length);
        m.get().write(buffer, target, 0, n);
        m.get().putI32(resultPtr, n);
        return Errno.ESUCCESS;
    }

    Errno rmdir(LazyGuestMemory m, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd, Rights.PATH_REMOVE_DIRECTORY);
        FileSystem.Located at = dir.fs.resolveParentBeneath(dir.node, path(m, pathPtr, pathLen));
        dir.fs.removeDirectory(at.parent(), at.name());
        return Errno.ESUCCESS;
    }

    Errno rename(LazyGuestMemory m, int fd, int oldPtr, int oldLen, int newFd, int newPtr, int newLen) {
        Fd from = directory(fd, Rights.PATH_RENAME_SOURCE);
        Fd to = directory(newFd, Rights.PATH_RENAME_TARGET);
        if (from.fs != to.fs) {
            return Errno.EXDEV;
        }
        FileSystem.Located a = from.fs.resolveParentBeneath(from.node, path(m, oldPtr, oldLen));
        FileSystem.Located b = to.fs.resolveParentBeneath(to.node, path(m, newPtr, newLen));
        from.fs.rename(a.parent(), a.name(), b.parent(), b.name());
        return Errno.ESUCCESS;
    }

    Errno symlink(LazyGuestMemory m, int targetPtr, int targetLen, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd, Rights.PATH_SYMLINK);
        String target = path(m, targetPtr, targetLen);
        FileSystem.Located at = newName(dir, path(m, pathPtr, pathLen));
        dir.fs.createSymlink(at.parent(), at.name(), target);
        return Errno.ESUCCESS;
    }

    Errno unlink(LazyGuestMemory m, int fd, int pathPtr, int pathLen) {
        Fd dir = directory(fd, Rights.PATH_UNLINK_FILE);
        FileSystem.Located at = dir.fs.resolveParentBeneath(dir.node, path(m, pathPtr, pathLen));
        dir.fs.unlinkFile(at.parent(), at.name());
        return Errno.ESUCCESS;
    }
}
