package pm.runtime.support;

import static pm.runtime.support.WasiGuest.i32;
import static pm.runtime.support.WasiGuest.i64;
import static pm.runtime.support.WasiGuest.withIovec;

import pm.runtime.support.WasiGuest.Op;

/**
 * The WASI calls a {@link WasiGuest} can make, each an i32 expression (an errno, or a value for
 * the probes at the end). Descriptors are expressions too: {@link WasiGuest#PREOPEN},
 * {@link WasiGuest#slot}, {@link WasiGuest#BAD_FD}.
 */
public final class WasiOps {
    public static final long FD_DATASYNC = 1L;
    public static final long FD_READ = 1L << 1;
    public static final long FD_SEEK = 1L << 2;
    public static final long FD_TELL = 1L << 5;
    public static final long FD_WRITE = 1L << 6;
    public static final long PATH_CREATE_DIRECTORY = 1L << 9;
    public static final long PATH_CREATE_FILE = 1L << 10;
    public static final long PATH_OPEN = 1L << 13;
    public static final long FD_READDIR = 1L << 14;
    public static final long FD_FILESTAT_GET = 1L << 21;
    public static final long FD_FILESTAT_SET_SIZE = 1L << 22;
    /** What a program opening a file to read and write asks for (as wasi-libc does for O_RDWR). */
    public static final long READ_WRITE =
            FD_READ | FD_WRITE | FD_SEEK | FD_TELL | FD_FILESTAT_GET | FD_FILESTAT_SET_SIZE;

    public static final int LOOKUP_FOLLOW = 1;
    public static final int O_CREAT = 1;
    public static final int O_DIRECTORY = 2;
    public static final int O_EXCL = 4;
    public static final int O_TRUNC = 8;

    private WasiOps() {}

    /** path_open; the new descriptor goes to slot {@code slot}. */
    public static Op open(String dir, int lookup, String path, int oflags, String base, String inheriting, int slot) {
        return g -> g.call(
                "path_open",
                dir,
                i32(lookup),
                g.str(path),
                i32(oflags),
                base,
                inheriting,
                i32(0),
                i32(WasiGuest.slotAddress(slot)));
    }

    public static Op open(String dir, String path, int oflags, long base, long inheriting, int slot) {
        return open(dir, LOOKUP_FOLLOW, path, oflags, i64(base), i64(inheriting), slot);
    }

    /** A new file holding {@code text}, closed again. */
    public static Op file(String dir, String path, String text) {
        return g -> "(block (result i32) (i32.store (i32.const 48) "
                + open(dir, path, O_CREAT | O_TRUNC, READ_WRITE, 0, 15).apply(g) + ")"
                + " (if (i32.eqz (i32.load (i32.const 48))) (then (drop "
                + write(WasiGuest.slot(15), text).apply(g) + ")"
                + " (drop " + g.call("fd_close", WasiGuest.slot(15)) + ")))"
                + " (i32.load (i32.const 48)))";
    }

    public static Op mkdir(String dir, String path) {
        return g -> g.call("path_create_directory", dir, g.str(path));
    }

    public static Op rmdir(String dir, String path) {
        return g -> g.call("path_remove_directory", dir, g.str(path));
    }

    public static Op unlink(String dir, String path) {
        return g -> g.call("path_unlink_file", dir, g.str(path));
    }

    public static Op symlink(String target, String dir, String path) {
        return g -> g.call("path_symlink", g.str(target), dir, g.str(path));
    }

    public static Op link(String dir, String from, String to) {
        return g -> g.call("path_link", dir, i32(0), g.str(from), dir, g.str(to));
    }

    public static Op rename(String dir, String from, String to) {
        return g -> g.call("path_rename", dir, g.str(from), dir, g.str(to));
    }

    public static Op readlink(String dir, String path) {
        return g -> g.call("path_readlink", dir, g.str(path), i32(256), i32(512), i32(40));
    }

    public static Op pathFilestat(String dir, int lookup, String path) {
        return g -> g.call("path_filestat_get", dir, i32(lookup), g.str(path), i32(64));
    }

    public static Op fdstat(String fd) {
        return g -> g.call("fd_fdstat_get", fd, i32(0));
    }

    public static Op setRights(String fd, long base, long inheriting) {
        return g -> g.call("fd_fdstat_set_rights", fd, i64(base), i64(inheriting));
    }

    public static Op close(String fd) {
        return g -> g.call("fd_close", fd);
    }

    public static Op write(String fd, String text) {
        return g -> {
            String s = g.str(text);
            String address = s.substring(0, s.indexOf(')') + 1);
            return withIovec(address, text.length(), g.call("fd_write", fd, i32(128), i32(1), i32(40)));
        };
    }

    public static Op read(String fd, int length) {
        return g -> withIovec(i32(256), length, g.call("fd_read", fd, i32(128), i32(1), i32(40)));
    }

    public static Op pread(String fd, int length, long offset) {
        return g -> withIovec(i32(256), length, g.call("fd_pread", fd, i32(128), i32(1), i64(offset), i32(40)));
    }

    public static Op seek(String fd, long offset, int whence) {
        return g -> g.call("fd_seek", fd, i64(offset), i32(whence), i32(32));
    }

    public static Op tell(String fd) {
        return g -> g.call("fd_tell", fd, i32(32));
    }

    public static Op readdir(String fd) {
        return g -> g.call("fd_readdir", fd, i32(256), i32(512), i64(0), i32(40));
    }

    public static Op setSize(String fd, long size) {
        return g -> g.call("fd_filestat_set_size", fd, i64(size));
    }

    public static Op prestat(String fd) {
        return g -> g.call("fd_prestat_get", fd, i32(32));
    }

    public static Op prestatName(String fd, int length) {
        return g -> g.call("fd_prestat_dir_name", fd, i32(256), i32(length));
    }

    public static Op renumber(String from, String to) {
        return g -> g.call("fd_renumber", from, to);
    }

    public static Op sockShutdown(String fd) {
        return g -> g.call("sock_shutdown", fd, i32(3));
    }

    public static Op sockRecv(String fd) {
        return g -> withIovec(i32(256), 16, g.call("sock_recv", fd, i32(128), i32(1), i32(0), i32(40), i32(44)));
    }

    public static Op sockSend(String fd) {
        return g -> withIovec(i32(256), 16, g.call("sock_send", fd, i32(128), i32(1), i32(0), i32(40)));
    }

    public static Op sockAccept(String fd) {
        return g -> g.call("sock_accept", fd, i32(0), i32(40));
    }

    /** 0 if the last fdstat's base rights hold none of {@code rights}, else 1. */
    public static Op baseLacks(long rights) {
        return g -> "(i64.ne (i64.and " + WasiGuest.FDSTAT_BASE + " " + i64(rights) + ") (i64.const 0))";
    }

    /** 0 if the last fdstat's base rights hold all of {@code rights}, else 1. */
    public static Op baseHolds(long rights) {
        return g -> "(i64.ne (i64.and " + WasiGuest.FDSTAT_BASE + " " + i64(rights) + ") " + i64(rights) + ")";
    }

    /** 0 if the last fdstat's inheriting rights hold all of {@code rights}, else 1. */
    public static Op inheritingHolds(long rights) {
        return g -> "(i64.ne (i64.and " + WasiGuest.FDSTAT_INHERITING + " " + i64(rights) + ") " + i64(rights) + ")";
    }

    /** The u32 a read, write or readdir wrote (bytes moved). */
    public static Op bytesMoved() {
        return g -> "(i32.load (i32.const 40))";
    }

    /** The u64 a seek or tell wrote, as i32. */
    public static Op position() {
        return g -> "(i32.wrap_i64 (i64.load (i32.const 32)))";
    }

    /** The filetype byte of the last fdstat. */
    public static Op fileType() {
        return g -> "(i32.load8_u (i32.const 0))";
    }
}
