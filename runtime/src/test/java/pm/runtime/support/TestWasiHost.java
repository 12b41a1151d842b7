package pm.runtime.support;

import com.dylibso.chicory.wasm.types.FunctionImport;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.HostFunction;
import pm.runtime.interp.HostFunctionRef;
import pm.runtime.interp.Imports;
import pm.runtime.interp.Instance;

/**
 * A deliberately small WASI preview 1 host for runtime tests and benchmarks: args, environ, stdin
 * from a byte array, stdout/stderr into buffers, proc_exit. Everything else answers ENOSYS. The
 * product's serialisable WASI sessions replace it (see the sessions issue); its state lives here in
 * Java objects and simply stays bound across a restore of the machine in tests.
 */
public final class TestWasiHost {
    private static final int ESUCCESS = 0;
    private static final int EBADF = 8;
    private static final int EINVAL = 28;
    private static final int ENOSYS = 52;
    private static final int ESPIPE = 70;

    /** Thrown by proc_exit; carries the exit code. */
    public static final class Exit extends RuntimeException {
        public final int code;

        Exit(int code) {
            super("proc_exit(" + code + ")", null, false, false);
            this.code = code;
        }
    }

    private final List<String> args;
    private final byte[] stdin;
    private int stdinPos;
    public final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    public final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    public TestWasiHost(List<String> args, byte[] stdin) {
        this.args = List.copyOf(args);
        this.stdin = stdin.clone();
    }

    /** Imports for every wasi_snapshot_preview1 function {@code module} declares. */
    public Imports importsFor(CompiledModule module) {
        Imports.Builder b = Imports.builder();
        for (var imp : module.imports()) {
            if (!(imp instanceof FunctionImport) || !imp.module().equals("wasi_snapshot_preview1")) {
                continue;
            }
            int t = ((FunctionImport) imp).typeIndex();
            b.function(imp.module(), imp.name(),
                    new HostFunctionRef(imp.name(), module.typeParams(t), module.typeResults(t), implementation(imp.name())));
        }
        return b.build();
    }

    private static ByteBuffer mem(Instance caller) {
        return ByteBuffer.wrap(caller.memory().bytes()).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long[] errno(int code) {
        return new long[] {code};
    }

    private HostFunction implementation(String name) {
        switch (name) {
            case "args_sizes_get":
                return (c, a) -> {
                    int bytes = 0;
                    for (String s : args) {
                        bytes += s.getBytes(StandardCharsets.UTF_8).length + 1;
                    }
                    mem(c).putInt((int) a[0], args.size()).putInt((int) a[1], bytes);
                    return errno(ESUCCESS);
                };
            case "args_get":
                return (c, a) -> {
                    ByteBuffer m = mem(c);
                    int ptrs = (int) a[0];
                    int buf = (int) a[1];
                    for (String s : args) {
                        byte[] b = s.getBytes(StandardCharsets.UTF_8);
                        m.putInt(ptrs, buf);
                        ptrs += 4;
                        m.put(buf, b);
                        m.put(buf + b.length, (byte) 0);
                        buf += b.length + 1;
                    }
                    return errno(ESUCCESS);
                };
            case "environ_sizes_get":
                return (c, a) -> {
                    mem(c).putInt((int) a[0], 0).putInt((int) a[1], 0);
                    return errno(ESUCCESS);
                };
            case "environ_get":
                return (c, a) -> errno(ESUCCESS);
            case "fd_write":
                return (c, a) -> {
                    int fd = (int) a[0];
                    if (fd != 1 && fd != 2) {
                        return errno(EBADF);
                    }
                    ByteBuffer m = mem(c);
                    ByteArrayOutputStream out = fd == 1 ? stdout : stderr;
                    int total = 0;
                    for (int i = 0; i < (int) a[2]; i++) {
                        int base = m.getInt((int) a[1] + 8 * i);
                        int len = m.getInt((int) a[1] + 8 * i + 4);
                        out.write(c.memory().bytes(), base, len);
                        total += len;
                    }
                    m.putInt((int) a[3], total);
                    return errno(ESUCCESS);
                };
            case "fd_read":
                return (c, a) -> {
                    if ((int) a[0] != 0) {
                        return errno(EBADF);
                    }
                    ByteBuffer m = mem(c);
                    int total = 0;
                    for (int i = 0; i < (int) a[2]; i++) {
                        int base = m.getInt((int) a[1] + 8 * i);
                        int len = Math.min(m.getInt((int) a[1] + 8 * i + 4), stdin.length - stdinPos);
                        System.arraycopy(stdin, stdinPos, c.memory().bytes(), base, len);
                        stdinPos += len;
                        total += len;
                    }
                    m.putInt((int) a[3], total);
                    return errno(ESUCCESS);
                };
            case "fd_fdstat_get":
                return (c, a) -> {
                    int fd = (int) a[0];
                    if (fd > 2) {
                        return errno(EBADF);
                    }
                    ByteBuffer m = mem(c);
                    int p = (int) a[1];
                    m.put(p, (byte) 2); // character device
                    m.putShort(p + 2, (short) 0);
                    m.putLong(p + 8, -1L);
                    m.putLong(p + 16, -1L);
                    return errno(ESUCCESS);
                };
            case "fd_fdstat_set_flags":
                return (c, a) -> errno((int) a[0] <= 2 ? ESUCCESS : EBADF);
            case "fd_seek":
                return (c, a) -> errno((int) a[0] <= 2 ? ESPIPE : EBADF);
            case "fd_close":
                return (c, a) -> errno((int) a[0] <= 2 ? ESUCCESS : EBADF);
            case "fd_prestat_get":
            case "fd_prestat_dir_name":
                return (c, a) -> errno(EBADF);
            case "proc_exit":
                return (c, a) -> {
                    throw new Exit((int) a[0]);
                };
            default:
                return (c, a) -> errno(name.startsWith("path_") ? ENOSYS : EINVAL);
        }
    }

    public String stdoutText() {
        return stdout.toString(StandardCharsets.UTF_8);
    }
}
