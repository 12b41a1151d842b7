package pm.runtime.wasi;

import static pm.runtime.support.WasiGuest.BAD_FD;
import static pm.runtime.support.WasiGuest.FDSTAT_BASE;
import static pm.runtime.support.WasiGuest.FDSTAT_INHERITING;
import static pm.runtime.support.WasiGuest.PREOPEN;
import static pm.runtime.support.WasiGuest.i64;
import static pm.runtime.support.WasiGuest.slot;
import static pm.runtime.support.WasiOps.*;

import java.util.ArrayList;
import java.util.List;
import pm.runtime.support.WasiGuest;
import pm.runtime.support.WasiGuest.Op;

/**
 * Our WASI preview 1 conformance cases: the rights model, path resolution, errno choices and the
 * socket calls on descriptors that are not sockets. Each is one guest that sets up what it needs in
 * an empty preopen ({@link WasiGuest#SANDBOX}) and exits with the errno (or value) under test, so
 * node:wasi can run the very same module. Where node answers otherwise on purpose, the case says
 * why; where wasmtime answers otherwise, the README's WASI section says so.
 */
final class ConformanceCases {
    /** One guest: the steps must succeed, then the probe's value is the exit status. */
    record Case(String name, int expected, List<Op> steps, Op probe, String nodeDiffers) {
        String wat() {
            return WasiGuest.module(steps, probe);
        }
    }

    private static final long DIR_FOR_READING = FD_READ | FD_READDIR | PATH_OPEN;
    private static final String FILE_A = slot(1);
    private static final String DIR_A = slot(2);

    private final List<Case> cases = new ArrayList<>();

    private ConformanceCases() {}

    static List<Case> all() {
        ConformanceCases c = new ConformanceCases();
        c.rights();
        c.paths();
        c.errnos();
        c.sockets();
        return List.copyOf(c.cases);
    }

    private void add(String name, Errno expected, Op probe, Op... steps) {
        cases.add(new Case(name, expected.code(), List.of(steps), probe, null));
    }

    private void value(String name, int expected, Op probe, Op... steps) {
        cases.add(new Case(name, expected, List.of(steps), probe, null));
    }

    private void differs(String name, Errno expected, String why, Op probe, Op... steps) {
        cases.add(new Case(name, expected.code(), List.of(steps), probe, why));
    }

    private void rights() {
        value(
                "a preopen holds no fd_read, fd_write or fd_seek",
                0,
                baseLacks(FD_READ | FD_WRITE | FD_SEEK),
                fdstat(PREOPEN));
        value("a preopen holds path_open and fd_readdir", 0, baseHolds(PATH_OPEN | FD_READDIR), fdstat(PREOPEN));
        value("a preopen passes on fd_read and fd_write", 0, inheritingHolds(FD_READ | FD_WRITE), fdstat(PREOPEN));
        value("a preopen is a directory", 3, fileType(), fdstat(PREOPEN));
        add(
                "reopening a preopen with the rights fdstat reported succeeds",
                Errno.ESUCCESS,
                open(PREOPEN, LOOKUP_FOLLOW, ".", O_DIRECTORY, FDSTAT_BASE, FDSTAT_INHERITING, 2),
                fdstat(PREOPEN));
        add(
                "a reopened preopen lists its entries",
                Errno.ESUCCESS,
                readdir(DIR_A),
                fdstat(PREOPEN),
                open(PREOPEN, LOOKUP_FOLLOW, ".", O_DIRECTORY, FDSTAT_BASE, FDSTAT_INHERITING, 2));
        value(
                "a directory opened for reading holds no fd_seek",
                0,
                baseLacks(FD_SEEK),
                open(PREOPEN, ".", O_DIRECTORY, DIR_FOR_READING | FD_SEEK, 0, 2),
                fdstat(DIR_A));
        add(
                "O_DIRECTORY with read and write rights is EISDIR",
                Errno.EISDIR,
                open(PREOPEN, ".", O_DIRECTORY, FD_READ | FD_WRITE, 0, 2));
        add("a directory opened with fd_write is EISDIR", Errno.EISDIR, open(PREOPEN, ".", 0, FD_WRITE, 0, 2));
        add("fd_read on a directory is ENOTCAPABLE", Errno.ENOTCAPABLE, read(PREOPEN, 4));
        add("fd_write on a directory is ENOTCAPABLE", Errno.ENOTCAPABLE, write(PREOPEN, "x"));
        add("fd_seek on a directory is ENOTCAPABLE", Errno.ENOTCAPABLE, seek(PREOPEN, 0, 0));
        add("fd_pread on a directory is ENOTCAPABLE", Errno.ENOTCAPABLE, pread(PREOPEN, 4, 0));
        add(
                "fd_write without fd_write is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                write(FILE_A, "x"),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, FD_READ, 0, 1));
        add(
                "fd_read without fd_read is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                read(FILE_A, 4),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, FD_WRITE, 0, 1));
        add(
                "fd_seek without fd_seek is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                seek(FILE_A, 2, 0),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, FD_READ, 0, 1));
        add(
                "truncating without fd_filestat_set_size is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                setSize(FILE_A, 0),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, FD_READ | FD_WRITE, 0, 1));
        add(
                "a file opened with no rights cannot be read",
                Errno.ENOTCAPABLE,
                read(FILE_A, 4),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, 0, 0, 1));
        add(
                "rights dropped with fd_fdstat_set_rights are gone",
                Errno.ENOTCAPABLE,
                write(FILE_A, "x"),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1),
                setRights(FILE_A, FD_READ, 0));
        add(
                "fd_fdstat_set_rights cannot add rights",
                Errno.ENOTCAPABLE,
                setRights(FILE_A, READ_WRITE, 0),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, FD_READ, 0, 1));
        value(
                "a file holds what it asked for",
                0,
                baseHolds(READ_WRITE),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1),
                fdstat(FILE_A));
        value(
                "a file holds no path rights even if asked",
                0,
                baseLacks(PATH_OPEN | PATH_CREATE_FILE),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, READ_WRITE | PATH_OPEN | PATH_CREATE_FILE, 0, 1),
                fdstat(FILE_A));
        add(
                "path_open needs path_open on the directory",
                Errno.ENOTCAPABLE,
                open(DIR_A, "f", 0, FD_READ, 0, 1),
                mkdir(PREOPEN, "d"),
                file(PREOPEN, "d/f", "x"),
                open(PREOPEN, "d", O_DIRECTORY, FD_READDIR, 0, 2));
        add(
                "creating a file needs path_create_file",
                Errno.ENOTCAPABLE,
                open(DIR_A, "new", O_CREAT, FD_READ, 0, 1),
                mkdir(PREOPEN, "d"),
                open(PREOPEN, "d", O_DIRECTORY, PATH_OPEN, FD_READ, 2));
        add(
                "creating a directory needs path_create_directory",
                Errno.ENOTCAPABLE,
                mkdir(DIR_A, "sub"),
                mkdir(PREOPEN, "d"),
                open(PREOPEN, "d", O_DIRECTORY, PATH_OPEN, 0, 2));
        add(
                "a directory granted path_create_directory creates",
                Errno.ESUCCESS,
                mkdir(DIR_A, "sub"),
                mkdir(PREOPEN, "d"),
                open(PREOPEN, "d", O_DIRECTORY, PATH_CREATE_DIRECTORY, 0, 2));
        add(
                "a path call on a file descriptor is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                open(FILE_A, "x", 0, FD_READ, 0, 3),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1));
        differs(
                "rights asked beyond the directory's inheriting rights are cut, not refused",
                Errno.ESUCCESS,
                "node refuses the open (ENOTCAPABLE); we cut the rights down, so a guest asking broadly still opens (wasmtime ignores rights)",
                open(DIR_A, "f", 0, FD_READ | FD_WRITE, 0, 1),
                mkdir(PREOPEN, "d"),
                file(PREOPEN, "d/f", "x"),
                open(PREOPEN, "d", O_DIRECTORY, PATH_OPEN, FD_READ, 2));
        add(
                "rights cut by the directory are missing afterwards",
                Errno.ENOTCAPABLE,
                write(FILE_A, "x"),
                mkdir(PREOPEN, "d"),
                file(PREOPEN, "d/f", "x"),
                open(PREOPEN, "d", O_DIRECTORY, PATH_OPEN, FD_READ, 2),
                open(DIR_A, "f", 0, FD_READ, 0, 1));
    }

    private void paths() {
        add("'..' above the preopen is ENOTCAPABLE", Errno.ENOTCAPABLE, open(PREOPEN, "../x", 0, FD_READ, 0, 1));
        add(
                "one '..' too many after a real directory is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                open(PREOPEN, "a/b/../../../x", 0, FD_READ, 0, 1),
                mkdir(PREOPEN, "a"),
                mkdir(PREOPEN, "a/b"));
        add(
                "one '..' too many after a missing directory is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                open(PREOPEN, "missing/../../x", 0, FD_READ, 0, 1));
        add(
                "one '..' too many after a file is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                open(PREOPEN, "f/../../x", 0, FD_READ, 0, 1),
                file(PREOPEN, "f", "x"));
        add(
                "'..' inside the preopen is fine",
                Errno.ESUCCESS,
                open(PREOPEN, "a/../f", 0, FD_READ, 0, 1),
                mkdir(PREOPEN, "a"),
                file(PREOPEN, "f", "x"));
        add(
                "'..' above an opened subdirectory is ENOTCAPABLE",
                Errno.ENOTCAPABLE,
                open(DIR_A, "../f", 0, FD_READ, 0, 1),
                mkdir(PREOPEN, "d"),
                file(PREOPEN, "f", "x"),
                open(PREOPEN, "d", O_DIRECTORY, DIR_FOR_READING, FD_READ, 2));
        add("mkdir of '..' is ENOTCAPABLE", Errno.ENOTCAPABLE, mkdir(PREOPEN, ".."));
        add("an absolute path is ENOTCAPABLE", Errno.ENOTCAPABLE, open(PREOPEN, "/etc/passwd", 0, FD_READ, 0, 1));
        differs(
                "a symlink pointing out of the preopen can be made",
                Errno.ESUCCESS,
                "node refuses to make it (ENOTCAPABLE); we store any target and refuse it when followed, as POSIX stores it",
                symlink("../outside", PREOPEN, "out"));
        differs(
                "a symlink out of the preopen is ENOTCAPABLE when followed",
                Errno.ENOTCAPABLE,
                "node cannot make the symlink in the first place",
                open(PREOPEN, "out", 0, FD_READ, 0, 1),
                symlink("../outside", PREOPEN, "out"));
        differs(
                "an absolute symlink is ENOTCAPABLE when followed",
                Errno.ENOTCAPABLE,
                "node cannot make the symlink in the first place (wasmtime neither: EPERM)",
                open(PREOPEN, "abs", 0, FD_READ, 0, 1),
                symlink("/etc/passwd", PREOPEN, "abs"));
        add(
                "a relative symlink inside the preopen is followed",
                Errno.ESUCCESS,
                read(FILE_A, 5),
                file(PREOPEN, "f", "hello"),
                symlink("f", PREOPEN, "l"),
                open(PREOPEN, "l", 0, FD_READ, 0, 1));
        differs(
                "a symlink in a subdirectory resolves from there",
                Errno.ESUCCESS,
                "node checks a new symlink's target from the preopen, not from the link's directory, so refuses '../f' in 'a'",
                open(PREOPEN, "a/up", 0, FD_READ, 0, 1),
                mkdir(PREOPEN, "a"),
                file(PREOPEN, "f", "x"),
                symlink("../f", PREOPEN, "a/up"));
        add(
                "a symlink loop is ELOOP",
                Errno.ELOOP,
                open(PREOPEN, "loop", 0, FD_READ, 0, 1),
                symlink("loop", PREOPEN, "loop"));
        differs(
                "opening a symlink without following is ELOOP",
                Errno.ELOOP,
                "node follows the final symlink even without symlink_follow; wasmtime and POSIX O_NOFOLLOW answer ELOOP",
                open(PREOPEN, 0, "l", 0, i64(FD_READ), i64(0), 1),
                file(PREOPEN, "f", "x"),
                symlink("f", PREOPEN, "l"));
        add(
                "a dangling symlink followed is ENOENT",
                Errno.ENOENT,
                pathFilestat(PREOPEN, LOOKUP_FOLLOW, "dangling"),
                symlink("nowhere", PREOPEN, "dangling"));
        add(
                "a dangling symlink itself can be stat'ed",
                Errno.ESUCCESS,
                pathFilestat(PREOPEN, 0, "dangling"),
                symlink("nowhere", PREOPEN, "dangling"));
        add(
                "a file with a trailing slash is ENOTDIR",
                Errno.ENOTDIR,
                open(PREOPEN, "f/", 0, FD_READ, 0, 1),
                file(PREOPEN, "f", "x"));
        add(
                "a directory with a trailing slash opens",
                Errno.ESUCCESS,
                open(PREOPEN, "d/", O_DIRECTORY, FD_READDIR, 0, 2),
                mkdir(PREOPEN, "d"));
        add("a new symlink name with a trailing slash is ENOENT", Errno.ENOENT, symlink("source", PREOPEN, "target/"));
        add(
                "a symlink over a directory named with a slash is EEXIST",
                Errno.EEXIST,
                symlink("source", PREOPEN, "target/"),
                mkdir(PREOPEN, "target"));
        differs(
                "a symlink over a file named with a slash is ENOTDIR",
                Errno.ENOTDIR,
                "node passes Linux's EEXIST through; wasmtime's suite asks for ENOTDIR, as the slash names no directory",
                symlink("source", PREOPEN, "target/"),
                file(PREOPEN, "target", "x"));
        add(
                "a symlink over an existing name is EEXIST",
                Errno.EEXIST,
                symlink("source", PREOPEN, "target"),
                file(PREOPEN, "target", "x"));
        add(
                "a new link name with a trailing slash is ENOENT",
                Errno.ENOENT,
                link(PREOPEN, "f", "link/"),
                file(PREOPEN, "f", "x"));
        add(
                "a link source with a trailing slash is ENOTDIR",
                Errno.ENOTDIR,
                link(PREOPEN, "f/", "link"),
                file(PREOPEN, "f", "x"));
        add("a link to a directory is EPERM", Errno.EPERM, link(PREOPEN, "d", "link"), mkdir(PREOPEN, "d"));
        add(
                "a link over an existing name is EEXIST",
                Errno.EEXIST,
                link(PREOPEN, "f", "g"),
                file(PREOPEN, "f", "x"),
                file(PREOPEN, "g", "y"));
        add(
                "unlinking a file named with a trailing slash is ENOTDIR",
                Errno.ENOTDIR,
                unlink(PREOPEN, "f/"),
                file(PREOPEN, "f", "x"));
        add(
                "removing a directory named with a trailing slash works",
                Errno.ESUCCESS,
                rmdir(PREOPEN, "d/"),
                mkdir(PREOPEN, "d"));
        add(
                "renaming a file onto a name with a trailing slash is ENOTDIR",
                Errno.ENOTDIR,
                rename(PREOPEN, "f", "g/"),
                file(PREOPEN, "f", "x"),
                file(PREOPEN, "g", "y"));
        differs(
                "an empty path is ENOENT",
                Errno.ENOENT,
                "node answers EINVAL; POSIX and wasmtime ENOENT",
                open(PREOPEN, "", 0, FD_READ, 0, 1));
    }

    private void errnos() {
        add("closing a descriptor that is not open is EBADF", Errno.EBADF, close(BAD_FD));
        add("reading a descriptor that is not open is EBADF", Errno.EBADF, read(BAD_FD, 1));
        add("fd_prestat_get past the preopens is EBADF", Errno.EBADF, prestat("(i32.const 4)"));
        differs(
                "a preopen's name in too small a buffer is ENAMETOOLONG",
                Errno.ENAMETOOLONG,
                "node answers ENOBUFS; wasmtime's suite asks for ENAMETOOLONG",
                prestatName(PREOPEN, 2));
        add("renumbering onto a closed descriptor is EBADF", Errno.EBADF, renumber(PREOPEN, BAD_FD));
        add(
                "an unknown whence is EINVAL",
                Errno.EINVAL,
                seek(FILE_A, 0, 7),
                file(PREOPEN, "f", "x"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1));
        add(
                "seeking before the start is EINVAL",
                Errno.EINVAL,
                seek(FILE_A, -1, 0),
                file(PREOPEN, "f", "x"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1));
        value(
                "fd_tell after writing five bytes is 5",
                5,
                position(),
                open(PREOPEN, "f", O_CREAT, READ_WRITE, 0, 1),
                write(FILE_A, "hello"),
                tell(FILE_A));
        value(
                "reading a file gives its bytes",
                5,
                bytesMoved(),
                file(PREOPEN, "f", "hello"),
                open(PREOPEN, "f", 0, FD_READ, 0, 1),
                read(FILE_A, 64));
        add(
                "O_CREAT|O_EXCL on an existing file is EEXIST",
                Errno.EEXIST,
                open(PREOPEN, "f", O_CREAT | O_EXCL, FD_READ, 0, 1),
                file(PREOPEN, "f", "x"));
        add(
                "O_DIRECTORY on a file is ENOTDIR",
                Errno.ENOTDIR,
                open(PREOPEN, "f", O_DIRECTORY, FD_READ, 0, 1),
                file(PREOPEN, "f", "x"));
        add("a missing file is ENOENT", Errno.ENOENT, open(PREOPEN, "missing", 0, FD_READ, 0, 1));
        add("a file below a missing directory is ENOENT", Errno.ENOENT, open(PREOPEN, "no/f", 0, FD_READ, 0, 1));
        add(
                "a file below a file is ENOTDIR",
                Errno.ENOTDIR,
                open(PREOPEN, "f/x", 0, FD_READ, 0, 1),
                file(PREOPEN, "f", "x"));
        add("mkdir of an existing name is EEXIST", Errno.EEXIST, mkdir(PREOPEN, "d"), mkdir(PREOPEN, "d"));
        add(
                "removing a directory that is not empty is ENOTEMPTY",
                Errno.ENOTEMPTY,
                rmdir(PREOPEN, "d"),
                mkdir(PREOPEN, "d"),
                file(PREOPEN, "d/f", "x"));
        add("removing a file as a directory is ENOTDIR", Errno.ENOTDIR, rmdir(PREOPEN, "f"), file(PREOPEN, "f", "x"));
        add("unlinking a directory is EISDIR", Errno.EISDIR, unlink(PREOPEN, "d"), mkdir(PREOPEN, "d"));
        add("readlink of a file is EINVAL", Errno.EINVAL, readlink(PREOPEN, "f"), file(PREOPEN, "f", "x"));
        add(
                "renaming a directory onto a file is ENOTDIR",
                Errno.ENOTDIR,
                rename(PREOPEN, "d", "f"),
                mkdir(PREOPEN, "d"),
                file(PREOPEN, "f", "x"));
        add(
                "renaming a file onto a directory is EISDIR",
                Errno.EISDIR,
                rename(PREOPEN, "f", "d"),
                mkdir(PREOPEN, "d"),
                file(PREOPEN, "f", "x"));
    }

    /** Node answers ENOTSUP to sock_shutdown whatever the descriptor, and ENOTCAPABLE to the others on a file. */
    private void sockets() {
        String shutdown = "node answers ENOTSUP for every descriptor; wasmtime EBADF or ENOTSOCK, as we do";
        String rights = "node answers ENOTCAPABLE (a file has no socket rights); wasmtime ENOTSOCK, as we do";
        differs("sock_shutdown on a descriptor that is not open is EBADF", Errno.EBADF, shutdown, sockShutdown(BAD_FD));
        differs(
                "sock_shutdown on a file is ENOTSOCK",
                Errno.ENOTSOCK,
                shutdown,
                sockShutdown(FILE_A),
                file(PREOPEN, "f", "x"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1));
        differs("sock_shutdown on a directory is ENOTSOCK", Errno.ENOTSOCK, shutdown, sockShutdown(PREOPEN));
        differs(
                "sock_recv on a file is ENOTSOCK",
                Errno.ENOTSOCK,
                rights,
                sockRecv(FILE_A),
                file(PREOPEN, "f", "x"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1));
        differs(
                "sock_send on a file is ENOTSOCK",
                Errno.ENOTSOCK,
                rights,
                sockSend(FILE_A),
                file(PREOPEN, "f", "x"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1));
        differs(
                "sock_accept on a file is ENOTSOCK",
                Errno.ENOTSOCK,
                rights,
                sockAccept(FILE_A),
                file(PREOPEN, "f", "x"),
                open(PREOPEN, "f", 0, READ_WRITE, 0, 1));
        add("sock_recv on a descriptor that is not open is EBADF", Errno.EBADF, sockRecv(BAD_FD));
    }
}
