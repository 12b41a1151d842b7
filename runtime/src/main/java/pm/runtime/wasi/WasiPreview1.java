package pm.runtime.wasi;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiFunction;
import pm.runtime.interp.HostFunctionRef;
import pm.runtime.interp.HostSuspension;
import pm.runtime.interp.Imports;
import pm.runtime.interp.ValueTypes;

/**
 * The 46 functions of {@code wasi_snapshot_preview1}, implemented over a {@link WasiSession}; the
 * descriptor and path functions live in {@link WasiFiles}.
 * Every call answers an errno; only proc_exit throws ({@link ProcessExit}) and poll_oneoff may
 * suspend the machine ({@link HostSuspension}) until its deadline, keeping the deadline in the
 * session so the re-run call completes instead of sleeping again. A process has no sockets
 * (channels come through the pm module), so the socket calls answer EBADF for a descriptor that is
 * not open and ENOTSOCK for any other, as wasmtime does; proc_raise answers ENOSYS (no signals).
 */
public final class WasiPreview1 {
    public static final String MODULE = "wasi_snapshot_preview1";

    private static final byte I = ValueTypes.I32;
    private static final byte L = ValueTypes.I64;

    private final WasiSession session;
    private final WasiFiles files;

    public WasiPreview1(WasiSession session) {
        this.session = session;
        this.files = new WasiFiles(session);
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
        function(b, "fd_advise", sig(I, L, L, I), (m, a) -> files.advise(i(a[0]), i(a[3])));
        function(b, "fd_allocate", sig(I, L, L), (m, a) -> files.allocate(i(a[0]), a[1], a[2]));
        function(b, "fd_close", sig(I), (m, a) -> files.close(i(a[0])));
        function(b, "fd_datasync", sig(I), (m, a) -> files.sync(i(a[0]), Rights.FD_DATASYNC));
        function(b, "fd_sync", sig(I), (m, a) -> files.sync(i(a[0]), Rights.FD_SYNC));
        function(b, "fd_fdstat_get", sig(I, I), (m, a) -> files.fdstat(m, i(a[0]), i(a[1])));
        function(b, "fd_fdstat_set_flags", sig(I, I), (m, a) -> files.setFlags(i(a[0]), i(a[1])));
        function(b, "fd_fdstat_set_rights", sig(I, L, L), (m, a) -> files.setRights(i(a[0]), a[1], a[2]));
        function(b, "fd_filestat_get", sig(I, I), (m, a) -> files.fdFilestat(m, i(a[0]), i(a[1])));
        function(b, "fd_filestat_set_size", sig(I, L), (m, a) -> files.setSize(i(a[0]), a[1]));
        function(b, "fd_filestat_set_times", sig(I, L, L, I), (m, a) -> files.fdSetTimes(i(a[0]), a[1], a[2], i(a[3])));
        function(b, "fd_pread", sig(I, I, I, L, I), (m, a) -> files.pread(m, i(a[0]), i(a[1]), i(a[2]), a[3], i(a[4])));
        function(
                b,
                "fd_pwrite",
                sig(I, I, I, L, I),
                (m, a) -> files.pwrite(m, i(a[0]), i(a[1]), i(a[2]), a[3], i(a[4])));
        function(b, "fd_prestat_get", sig(I, I), (m, a) -> files.prestat(m, i(a[0]), i(a[1])));
        function(b, "fd_prestat_dir_name", sig(I, I, I), (m, a) -> files.prestatName(m, i(a[0]), i(a[1]), i(a[2])));
        function(b, "fd_read", sig(I, I, I, I), (m, a) -> files.read(m, i(a[0]), i(a[1]), i(a[2]), i(a[3])));
        function(b, "fd_write", sig(I, I, I, I), (m, a) -> files.write(m, i(a[0]), i(a[1]), i(a[2]), i(a[3])));
        function(
                b,
                "fd_readdir",
                sig(I, I, I, L, I),
                (m, a) -> files.readdir(m, i(a[0]), i(a[1]), i(a[2]), a[3], i(a[4])));
        function(b, "fd_renumber", sig(I, I), (m, a) -> files.renumber(i(a[0]), i(a[1])));
        function(b, "fd_seek", sig(I, L, I, I), (m, a) -> files.seek(m, i(a[0]), a[1], i(a[2]), i(a[3])));
        function(b, "fd_tell", sig(I, I), (m, a) -> files.tell(m, i(a[0]), i(a[1])));
        function(b, "path_create_directory", sig(I, I, I), (m, a) -> files.mkdir(m, i(a[0]), i(a[1]), i(a[2])));
        function(
                b,
                "path_filestat_get",
                sig(I, I, I, I, I),
                (m, a) -> files.pathFilestat(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4])));
        function(
                b,
                "path_filestat_set_times",
                sig(I, I, I, I, L, L, I),
                (m, a) -> files.pathSetTimes(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), a[4], a[5], i(a[6])));
        function(
                b,
                "path_link",
                sig(I, I, I, I, I, I, I),
                (m, a) -> files.link(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), i(a[6])));
        function(
                b,
                "path_open",
                sig(I, I, I, I, I, L, L, I, I),
                (m, a) -> files.open(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), a[5], a[6], i(a[7]), i(a[8])));
        function(
                b,
                "path_readlink",
                sig(I, I, I, I, I, I),
                (m, a) -> files.readlink(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5])));
        function(b, "path_remove_directory", sig(I, I, I), (m, a) -> files.rmdir(m, i(a[0]), i(a[1]), i(a[2])));
        function(
                b,
                "path_rename",
                sig(I, I, I, I, I, I),
                (m, a) -> files.rename(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5])));
        function(
                b,
                "path_symlink",
                sig(I, I, I, I, I),
                (m, a) -> files.symlink(m, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4])));
        function(b, "path_unlink_file", sig(I, I, I), (m, a) -> files.unlink(m, i(a[0]), i(a[1]), i(a[2])));
        function(b, "poll_oneoff", sig(I, I, I, I), (m, a) -> poll(m, i(a[0]), i(a[1]), i(a[2]), i(a[3])));
        b.function(MODULE, "proc_exit", new HostFunctionRef("proc_exit", new byte[] {I}, new byte[0], (c, a) -> {
            throw new ProcessExit(i(a[0]));
        }));
        function(b, "proc_raise", sig(I), (m, a) -> Errno.ENOSYS);
        function(b, "random_get", sig(I, I), (m, a) -> random(m, i(a[0]), i(a[1])));
        function(b, "sched_yield", sig(), (m, a) -> Errno.ESUCCESS);
        function(b, "sock_accept", sig(I, I, I), (m, a) -> notASocket(i(a[0])));
        function(b, "sock_recv", sig(I, I, I, I, I, I), (m, a) -> notASocket(i(a[0])));
        function(b, "sock_send", sig(I, I, I, I, I), (m, a) -> notASocket(i(a[0])));
        function(b, "sock_shutdown", sig(I, I), (m, a) -> notASocket(i(a[0])));
        return b.build();
    }

    /** What every socket call answers: no descriptor of a process is a socket. */
    private Errno notASocket(int fd) {
        session.fds.get(fd); // EBADF first
        return Errno.ENOTSOCK;
    }

    private static byte[] sig(byte... params) {
        return params;
    }

    private static int i(long v) {
        return (int) v;
    }

    private static void function(
            Imports.Builder b, String name, byte[] params, BiFunction<LazyGuestMemory, long[], Errno> body) {
        b.function(MODULE, name, new HostFunctionRef(name, params, new byte[] {I}, (caller, args) -> {
            try {
                return new long[] {body.apply(new LazyGuestMemory(caller), args).code()};
            } catch (ErrnoException e) {
                return new long[] {e.errno().code()};
            }
        }));
    }

    // ---------------------------------------------------------------- args, environment, clocks, random

    private static Errno strings(LazyGuestMemory m, List<String> values, int pointers, int buffer) {
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

    private static Errno sizes(LazyGuestMemory m, List<String> values, int countPtr, int bytesPtr) {
        int bytes = 0;
        for (String v : values) {
            bytes += v.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        m.get().putI32(countPtr, values.size());
        m.get().putI32(bytesPtr, bytes);
        return Errno.ESUCCESS;
    }

    private Errno clockRes(LazyGuestMemory m, int id, int resultPtr) {
        checkClock(id);
        m.get().putI64(resultPtr, id == 0 ? 1_000_000L : 1L);
        return Errno.ESUCCESS;
    }

    private Errno clockTime(LazyGuestMemory m, int id, int resultPtr) {
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

    private Errno random(LazyGuestMemory m, int buffer, int length) {
        GuestMemory mem = m.get();
        mem.range(buffer, length & 0xFFFF_FFFFL);
        byte[] bytes = new byte[length];
        session.random.nextBytes(bytes);
        mem.write(buffer, bytes, 0, length);
        return Errno.ESUCCESS;
    }

    // ---------------------------------------------------------------- poll

    /**
     * Clock subscriptions sleep: the first call records the earliest deadline in the session and
     * suspends; the call run again after the deadline reports the events. Descriptor subscriptions
     * are always ready (stdio and in-memory files never block).
     */
    private Errno poll(LazyGuestMemory m, int in, int out, int count, int resultPtr) {
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
}
