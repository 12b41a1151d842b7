package pm.runtime.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes small WASI guests as WebAssembly text: a list of steps, each a WASI call whose errno must
 * be 0, then one probe whose value becomes the exit status. The same module runs under our runtime
 * and under node:wasi, so the two exit statuses can be compared. A failed step exits with
 * {@code 200 + its index}, outside every errno, so a broken setup is never mistaken for an answer.
 *
 * <p>Memory: fdstat at 0 (rights at 8 and 16), a u64 result at 32, a u32 result at 40, filestat at
 * 64, one iovec at 128, an I/O buffer at 256, descriptor slots at 1024 ({@link #slot}), strings
 * from 2048.
 */
public final class WasiGuest {
    /** One WASI call or value, as an i32 expression over the guest being written. */
    @FunctionalInterface
    public interface Op extends Function<WasiGuest, String> {}

    /** The first preopen, mounted at {@value #SANDBOX}. */
    public static final String PREOPEN = "(i32.const 3)";

    public static final String SANDBOX = "/sandbox";
    public static final String BAD_FD = "(i32.const 99)";
    public static final int SETUP_FAILED = 200;

    private static final Map<String, String> SIGNATURES = new LinkedHashMap<>();

    static {
        sig("fd_fdstat_get", "i32 i32");
        sig("fd_fdstat_set_rights", "i32 i64 i64");
        sig("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32");
        sig("fd_close", "i32");
        sig("fd_read", "i32 i32 i32 i32");
        sig("fd_write", "i32 i32 i32 i32");
        sig("fd_pread", "i32 i32 i32 i64 i32");
        sig("fd_pwrite", "i32 i32 i32 i64 i32");
        sig("fd_seek", "i32 i64 i32 i32");
        sig("fd_tell", "i32 i32");
        sig("fd_readdir", "i32 i32 i32 i64 i32");
        sig("fd_filestat_get", "i32 i32");
        sig("fd_filestat_set_size", "i32 i64");
        sig("fd_prestat_get", "i32 i32");
        sig("fd_prestat_dir_name", "i32 i32 i32");
        sig("fd_renumber", "i32 i32");
        sig("fd_sync", "i32");
        sig("path_create_directory", "i32 i32 i32");
        sig("path_remove_directory", "i32 i32 i32");
        sig("path_unlink_file", "i32 i32 i32");
        sig("path_symlink", "i32 i32 i32 i32 i32");
        sig("path_link", "i32 i32 i32 i32 i32 i32 i32");
        sig("path_rename", "i32 i32 i32 i32 i32 i32");
        sig("path_readlink", "i32 i32 i32 i32 i32 i32");
        sig("path_filestat_get", "i32 i32 i32 i32 i32");
        sig("sock_shutdown", "i32 i32");
        sig("sock_recv", "i32 i32 i32 i32 i32 i32");
        sig("sock_send", "i32 i32 i32 i32 i32");
        sig("sock_accept", "i32 i32 i32");
    }

    private final StringBuilder data = new StringBuilder();
    private final List<String> used = new ArrayList<>();
    private int nextString = 2048;

    private WasiGuest() {}

    private static void sig(String name, String params) {
        SIGNATURES.put(name, params);
    }

    /** The module: run {@code steps} in order, then exit with the value of {@code probe}. */
    public static String module(List<Op> steps, Op probe) {
        WasiGuest g = new WasiGuest();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < steps.size(); i++) {
            body.append("  (if (i32.ne (i32.const 0) ")
                    .append(steps.get(i).apply(g))
                    .append(")")
                    .append(" (then (call $proc_exit (i32.const ")
                    .append(SETUP_FAILED + i)
                    .append("))))\n");
        }
        body.append("  (call $proc_exit ").append(probe.apply(g)).append(")\n");
        StringBuilder m = new StringBuilder("(module\n");
        for (String name : g.used) {
            m.append(" (import \"wasi_snapshot_preview1\" \"")
                    .append(name)
                    .append("\" (func $")
                    .append(name)
                    .append(" (param ")
                    .append(SIGNATURES.get(name))
                    .append(") (result i32)))\n");
        }
        m.append(" (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n");
        m.append(" (memory (export \"memory\") 1)\n").append(g.data);
        m.append(" (func (export \"_start\")\n").append(body).append(" ))\n");
        return m.toString();
    }

    /** "(i32.const address) (i32.const length)" of {@code s} placed in the data segment. */
    public String str(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int at = nextString;
        StringBuilder escaped = new StringBuilder();
        for (byte b : bytes) {
            escaped.append(String.format("\\%02x", b & 0xFF));
        }
        data.append(" (data (i32.const ")
                .append(at)
                .append(") \"")
                .append(escaped)
                .append("\")\n");
        nextString += bytes.length + 1;
        return "(i32.const " + at + ") (i32.const " + bytes.length + ")";
    }

    /** A call of WASI function {@code name} with already written arguments. */
    public String call(String name, String... args) {
        if (!SIGNATURES.containsKey(name)) {
            throw new IllegalArgumentException("no signature for " + name);
        }
        if (!used.contains(name)) {
            used.add(name);
        }
        return "(call $" + name + " " + String.join(" ", args) + ")";
    }

    /** The descriptor kept in slot {@code k} by an open. */
    public static String slot(int k) {
        return "(i32.load (i32.const " + slotAddress(k) + "))";
    }

    public static int slotAddress(int k) {
        return 1024 + 4 * k;
    }

    public static String i32(long v) {
        return "(i32.const " + v + ")";
    }

    public static String i64(long v) {
        return "(i64.const " + v + ")";
    }

    /** The base and inheriting rights the last fdstat wrote. */
    public static final String FDSTAT_BASE = "(i64.load (i32.const 8))";

    public static final String FDSTAT_INHERITING = "(i64.load (i32.const 16))";

    /** An iovec at 128 over {@code length} bytes at {@code address}, then {@code call}. */
    public static String withIovec(String address, int length, String call) {
        return "(block (result i32) (i32.store (i32.const 128) " + address + ") (i32.store (i32.const 132) (i32.const "
                + length + ")) " + call + ")";
    }
}
