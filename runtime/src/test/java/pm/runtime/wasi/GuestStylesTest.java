package pm.runtime.wasi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.support.NodeWasi;
import pm.runtime.support.WasiGuest;
import pm.runtime.support.Wat;

/**
 * Guests that use WASI the way the toolchains' runtimes do, hand-written so that each call is
 * visible: Rust's std (find the preopen, reopen it with the rights fdstat reported, open files with
 * std's broad rights, read a directory) and AssemblyScript's as-wasi (scan preopens by name, open
 * with its fixed rights, seek, stat, grow memory). Each exits 0 only if every call succeeded and
 * every check held, here and under node:wasi. (C guests: {@link WasiProgramsTest}.)
 */
class GuestStylesTest {
    /** Rights Rust's std asks for on every open, plus fd_read/fd_readdir or the write set (std's OpenOptions). */
    private static final long RUST_COMMON =
            bits(7, 3, 21, 23, 2, 4, 5, 9, 10, 18, 11, 12, 13, 15, 25, 16, 17, 24, 26, 27);

    private static final long RUST_READ = RUST_COMMON | bits(1, 14);
    private static final long RUST_WRITE = RUST_COMMON | bits(6, 0, 8, 22);
    /** as-wasi's FileSystem.open rights for "w+". */
    private static final long AS_READ_WRITE = bits(1, 2, 5, 21, 14, 6, 8, 22);

    private static long bits(int... numbers) {
        long r = 0;
        for (int n : numbers) {
            r |= 1L << n;
        }
        return r;
    }

    /** The reproduction: reopening fd 3 with the rights fd_fdstat_get reported; the exit status is the errno. */
    static final String REOPEN_PREOPEN = """
            (module
              (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) ".")
              (func (export "_start")
                (drop (call $fdstat (i32.const 3) (i32.const 0)))
                (call $exit (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 2)
                             (i64.load (i32.const 8)) (i64.load (i32.const 16)) (i32.const 0) (i32.const 200)))))
            """;

    private static final String IMPORTS = """
              (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $prestat_name (param i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_filestat_get" (func $filestat (param i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_readdir" (func $readdir (param i32 i32 i32 i64 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (data (i32.const 2048) "/sandbox")
              (data (i32.const 2064) ".")
              (data (i32.const 2080) "hello.txt")
              (data (i32.const 2096) "sub")
              (data (i32.const 2112) "hello from a guest\\n")
              ;; Exits with 100 + step if a call failed (its errno is lost, the step is what matters).
              (func $ok (param $errno i32) (param $step i32)
                (if (local.get $errno) (then (call $exit (i32.add (i32.const 100) (local.get $step))))))
              ;; fd_write or fd_read of one buffer; returns the bytes moved.
              (func $io (param $fd i32) (param $buf i32) (param $len i32) (param $reading i32) (param $step i32) (result i32)
                (i32.store (i32.const 128) (local.get $buf)) (i32.store (i32.const 132) (local.get $len))
                (call $ok (if (result i32) (local.get $reading)
                    (then (call $read (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 136)))
                    (else (call $write (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 136))))
                  (local.get $step))
                (i32.load (i32.const 136)))
              ;; Whether the dirents in [$p, $end) name $len bytes at $name.
              (func $listed (param $p i32) (param $end i32) (param $name i32) (param $len i32) (result i32)
                (local $i i32)
                (block $no (loop $next
                  (br_if $no (i32.gt_u (i32.add (local.get $p) (i32.const 24)) (local.get $end)))
                  (if (i32.eq (i32.load (i32.add (local.get $p) (i32.const 16))) (local.get $len)) (then
                    (local.set $i (i32.const 0))
                    (block $differ (loop $byte
                      (if (i32.eq (local.get $i) (local.get $len)) (then (return (i32.const 1))))
                      (br_if $differ (i32.ne (i32.load8_u (i32.add (i32.add (local.get $p) (i32.const 24)) (local.get $i)))
                                             (i32.load8_u (i32.add (local.get $name) (local.get $i)))))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $byte)))))
                  (local.set $p (i32.add (local.get $p) (i32.add (i32.const 24) (i32.load (i32.add (local.get $p) (i32.const 16))))))
                  (br $next)))
                (i32.const 0))
            """;

    /**
     * Rust's std: fd_prestat_get and fd_prestat_dir_name on fd 3, fd_fdstat_get, reopen "." with
     * those rights, create a file with std's write rights (inheriting = base), write, reopen it with
     * std's read rights and read it back to stdout, make a directory, and find both names with
     * fd_readdir on a directory opened as std's read_dir opens it.
     */
    static final String RUST_STYLE = "(module" + IMPORTS + String.format("""
              (func (export "_start")
                (local $dir i32) (local $fd i32) (local $n i32) (local $list i32)
                (call $ok (call $prestat (i32.const 3) (i32.const 0)) (i32.const 1))
                (call $ok (call $prestat_name (i32.const 3) (i32.const 1024) (i32.load (i32.const 4))) (i32.const 2))
                (call $ok (call $fdstat (i32.const 3) (i32.const 0)) (i32.const 3))
                (call $ok (call $open (i32.const 3) (i32.const 1) (i32.const 2064) (i32.const 1) (i32.const 2)
                    (i64.load (i32.const 8)) (i64.load (i32.const 16)) (i32.const 0) (i32.const 40)) (i32.const 4))
                (local.set $dir (i32.load (i32.const 40)))
                (call $ok (call $open (local.get $dir) (i32.const 1) (i32.const 2080) (i32.const 9) (i32.const 9)
                    (i64.const %1$d) (i64.const %1$d) (i32.const 0) (i32.const 40)) (i32.const 5))
                (local.set $fd (i32.load (i32.const 40)))
                (drop (call $io (local.get $fd) (i32.const 2112) (i32.const 19) (i32.const 0) (i32.const 6)))
                (call $ok (call $close (local.get $fd)) (i32.const 7))
                (call $ok (call $open (local.get $dir) (i32.const 1) (i32.const 2080) (i32.const 9) (i32.const 0)
                    (i64.const %2$d) (i64.const %2$d) (i32.const 0) (i32.const 40)) (i32.const 8))
                (local.set $fd (i32.load (i32.const 40)))
                (local.set $n (call $io (local.get $fd) (i32.const 4096) (i32.const 256) (i32.const 1) (i32.const 9)))
                (drop (call $io (i32.const 1) (i32.const 4096) (local.get $n) (i32.const 0) (i32.const 10)))
                (call $ok (call $mkdir (local.get $dir) (i32.const 2096) (i32.const 3)) (i32.const 11))
                (call $ok (call $open (local.get $dir) (i32.const 1) (i32.const 2064) (i32.const 1) (i32.const 2)
                    (i64.const %2$d) (i64.const %2$d) (i32.const 0) (i32.const 40)) (i32.const 12))
                (local.set $list (i32.load (i32.const 40)))
                (call $ok (call $readdir (local.get $list) (i32.const 8192) (i32.const 4096) (i64.const 0) (i32.const 44))
                    (i32.const 13))
                (call $ok (i32.eqz (call $listed (i32.const 8192) (i32.add (i32.const 8192) (i32.load (i32.const 44)))
                    (i32.const 2080) (i32.const 9))) (i32.const 14))
                (call $ok (i32.eqz (call $listed (i32.const 8192) (i32.add (i32.const 8192) (i32.load (i32.const 44)))
                    (i32.const 2096) (i32.const 3))) (i32.const 15))
                (call $exit (i32.const 0))))
            """, RUST_WRITE, RUST_READ);

    /**
     * AssemblyScript's as-wasi: scan fd_prestat_get from 3 until EBADF for the preopen named
     * "/sandbox", grow memory for its heap, open "w+" with as-wasi's fixed rights (inheriting =
     * base), write, seek back, read, check the size with fd_filestat_get, echo to stdout.
     */
    static final String ASSEMBLYSCRIPT_STYLE = "(module" + IMPORTS + String.format("""
              (func $is_sandbox (param $fd i32) (result i32)
                (if (i32.ne (i32.load (i32.const 4)) (i32.const 8)) (then (return (i32.const 0))))
                (call $ok (call $prestat_name (local.get $fd) (i32.const 1024) (i32.const 8)) (i32.const 2))
                (i64.eq (i64.load (i32.const 1024)) (i64.load (i32.const 2048))))
              (func (export "_start")
                (local $dir i32) (local $fd i32) (local $n i32)
                (local.set $dir (i32.const 3))
                (block $found (loop $scan
                  (call $ok (call $prestat (local.get $dir) (i32.const 0)) (i32.const 1))
                  (br_if $found (call $is_sandbox (local.get $dir)))
                  (local.set $dir (i32.add (local.get $dir) (i32.const 1)))
                  (br $scan)))
                (call $ok (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (i32.const 3))
                (call $ok (call $open (local.get $dir) (i32.const 1) (i32.const 2080) (i32.const 9) (i32.const 9)
                    (i64.const %1$d) (i64.const %1$d) (i32.const 0) (i32.const 40)) (i32.const 4))
                (local.set $fd (i32.load (i32.const 40)))
                (drop (call $io (local.get $fd) (i32.const 2112) (i32.const 19) (i32.const 0) (i32.const 5)))
                (call $ok (call $seek (local.get $fd) (i64.const 0) (i32.const 0) (i32.const 48)) (i32.const 6))
                (local.set $n (call $io (local.get $fd) (i32.const 70000) (i32.const 256) (i32.const 1) (i32.const 7)))
                (call $ok (call $filestat (local.get $fd) (i32.const 64)) (i32.const 8))
                (call $ok (i64.ne (i64.load (i32.const 96)) (i64.extend_i32_u (local.get $n))) (i32.const 9))
                (drop (call $io (i32.const 1) (i32.const 70000) (local.get $n) (i32.const 0) (i32.const 10)))
                (call $ok (call $close (local.get $fd)) (i32.const 11))
                (call $exit (i32.const 0))))
            """, AS_READ_WRITE);

    private record Ran(int exit, String stdout) {}

    private static Ran runHere(String wat) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        WasiSession session = WasiSession.builder()
                .stdout(stdout::write)
                .preopen(WasiGuest.SANDBOX, new FileSystem(() -> 0L, 1 << 20))
                .build();
        WasiProcess p = WasiProcess.start(CompiledModule.compile(Wat.toWasm(wat)), session, Limits.DEFAULT, 1 << 20);
        assertThat(p.run(Long.MAX_VALUE)).as("failure: %s", p.failure()).isEqualTo(WasiProcess.State.EXITED);
        return new Ran(p.exitStatus(), stdout.toString(StandardCharsets.UTF_8));
    }

    @Test
    void reopeningAPreopenWithItsReportedRightsSucceeds() {
        assertThat(runHere(REOPEN_PREOPEN).exit()).isZero();
    }

    @Test
    void rustStyleGuestReopensThePreopenThenWritesReadsAndListsFiles() {
        assertThat(runHere(RUST_STYLE)).isEqualTo(new Ran(0, "hello from a guest\n"));
    }

    @Test
    void assemblyScriptStyleGuestFindsItsPreopenByNameAndReadsBackWhatItWrote() {
        assertThat(runHere(ASSEMBLYSCRIPT_STYLE)).isEqualTo(new Ran(0, "hello from a guest\n"));
    }

    @Test
    void nodeWasiRunsTheSameGuestsToSuccess() throws Exception {
        Assumptions.assumeTrue(NodeWasi.available(), "node with node:wasi is not installed: cannot compare with it");
        Map<String, byte[]> modules = new LinkedHashMap<>();
        modules.put("reopen", Wat.toWasm(REOPEN_PREOPEN));
        modules.put("rust", Wat.toWasm(RUST_STYLE));
        modules.put("assemblyscript", Wat.toWasm(ASSEMBLYSCRIPT_STYLE));

        assertThat(NodeWasi.run(modules)).isEqualTo(Map.of("reopen", 0, "rust", 0, "assemblyscript", 0));
    }
}
