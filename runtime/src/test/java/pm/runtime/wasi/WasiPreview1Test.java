package pm.runtime.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import pm.runtime.LinkException;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Imports;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Store;
import pm.runtime.support.Wat;

/** The WASI host seen from hand-written modules: errno results, guest memory, sleeping without a thread. */
class WasiPreview1Test {
    private static final String PRELUDE = "(module"
            + " (import \"wasi_snapshot_preview1\" \"fd_write\" (func $write (param i32 i32 i32 i32) (result i32)))"
            + " (import \"wasi_snapshot_preview1\" \"args_sizes_get\" (func $argsizes (param i32 i32) (result i32)))"
            + " (import \"wasi_snapshot_preview1\" \"poll_oneoff\" (func $poll (param i32 i32 i32 i32) (result i32)))"
            + " (memory (export \"memory\") 1)"
            + " (data (i32.const 1024) \"hello\\n\")";

    private static final String MODULE = PRELUDE
            // iovec at 0: {1024, 6}
            + " (func (export \"hello\") (result i32)"
            + "   (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 6))"
            + "   (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))"
            + " (func (export \"written\") (result i32) (i32.load (i32.const 8)))"
            + " (func (export \"write_fd\") (param i32) (result i32)"
            + "   (call $write (local.get 0) (i32.const 0) (i32.const 1) (i32.const 8)))"
            + " (func (export \"write_wild\") (result i32)"
            + "   (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 70000)))"
            + " (func (export \"argc\") (result i32)"
            + "   (drop (call $argsizes (i32.const 16) (i32.const 20))) (i32.load (i32.const 16)))"
            // one monotonic clock subscription of 20 ms, userdata 7
            + " (func (export \"sleep\") (result i32)"
            + "   (i64.store (i32.const 64) (i64.const 7)) (i32.store8 (i32.const 72) (i32.const 0))"
            + "   (i32.store (i32.const 80) (i32.const 1)) (i64.store (i32.const 88) (i64.const 20000000))"
            + "   (i32.store16 (i32.const 104) (i32.const 0))"
            + "   (i32.add (i32.mul (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 200))"
            + "      (i32.const 1000)) (i32.load (i32.const 200))))"
            + " (func (export \"event_userdata\") (result i64) (i64.load (i32.const 128))))";

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final AtomicLong monotonic = new AtomicLong(1_000_000_000L);

    private Instance instantiate(WasiSession session) {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(MODULE));
        return Instance.instantiate(module, new WasiPreview1(session).imports(), new Store(), Limits.DEFAULT);
    }

    private WasiSession session(List<String> args) {
        return WasiSession.builder()
                .args(args)
                .stdout(stdout::write)
                .clocks(() -> 0L, monotonic::get)
                .build();
    }

    private static long call(Instance instance, String name, long... args) {
        return new Machine(instance.store(), Limits.DEFAULT).invoke(instance.function(name), args)[0];
    }

    @Test
    void fdWriteSendsStdoutToTheSessionSink() {
        Instance instance = instantiate(session(List.of()));

        assertThat(call(instance, "hello")).isZero();
        assertThat(call(instance, "written")).isEqualTo(6);
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("hello\n");
    }

    @Test
    void argsAreVisibleToTheGuest() {
        Instance instance = instantiate(session(List.of("prog", "a", "b")));

        assertThat(call(instance, "argc")).isEqualTo(3);
    }

    @Test
    void unknownDescriptorIsEbadfNotATrap() {
        Instance instance = instantiate(session(List.of()));

        assertThat(call(instance, "write_fd", 42)).isEqualTo(Errno.EBADF.code());
    }

    @Test
    void pointerOutsideMemoryIsEfaultNotATrap() {
        Instance instance = instantiate(session(List.of()));

        assertThat(call(instance, "write_wild")).isEqualTo(Errno.EFAULT.code());
    }

    @Test
    void pollSleepParksTheMachineUntilItsDeadlineThenReportsTheEvent() {
        WasiSession session = session(List.of());
        Instance instance = instantiate(session);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT);
        machine.start(instance.function("sleep"));

        assertThat(machine.run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.BLOCKED);
        assertThat(session.nanosUntilWake()).isEqualTo(20_000_000L);
        monotonic.addAndGet(5_000_000L);
        assertThat(machine.run(Long.MAX_VALUE)).as("too early: still asleep").isEqualTo(Machine.RunResult.BLOCKED);
        monotonic.addAndGet(15_000_000L);

        assertThat(machine.run(Long.MAX_VALUE)).isEqualTo(Machine.RunResult.COMPLETED);
        assertThat(machine.results()).containsExactly(1); // errno 0, one event
        assertThat(call(instance, "event_userdata")).isEqualTo(7);
        assertThat(session.wakeAt()).isEqualTo(-1);
    }

    @Test
    void importWithAWrongSignatureDoesNotLink() {
        CompiledModule module = CompiledModule.compile(Wat.toWasm(
                "(module (import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32) (result i32))))"));

        assertThatThrownBy(() -> Instance.instantiate(
                        module, new WasiPreview1(session(List.of())).imports(), new Store(), Limits.DEFAULT))
                .isInstanceOf(LinkException.class)
                .hasMessageContaining("fd_write");
    }

    @Test
    void everyPreview1FunctionIsProvided() {
        Imports imports = new WasiPreview1(session(List.of())).imports();
        String[] names = {
            "args_get",
            "args_sizes_get",
            "environ_get",
            "environ_sizes_get",
            "clock_res_get",
            "clock_time_get",
            "fd_advise",
            "fd_allocate",
            "fd_close",
            "fd_datasync",
            "fd_fdstat_get",
            "fd_fdstat_set_flags",
            "fd_fdstat_set_rights",
            "fd_filestat_get",
            "fd_filestat_set_size",
            "fd_filestat_set_times",
            "fd_pread",
            "fd_prestat_get",
            "fd_prestat_dir_name",
            "fd_pwrite",
            "fd_read",
            "fd_readdir",
            "fd_renumber",
            "fd_seek",
            "fd_sync",
            "fd_tell",
            "fd_write",
            "path_create_directory",
            "path_filestat_get",
            "path_filestat_set_times",
            "path_link",
            "path_open",
            "path_readlink",
            "path_remove_directory",
            "path_rename",
            "path_symlink",
            "path_unlink_file",
            "poll_oneoff",
            "proc_exit",
            "proc_raise",
            "random_get",
            "sched_yield",
            "sock_accept",
            "sock_recv",
            "sock_send",
            "sock_shutdown"
        };
        assertThat(names).hasSize(46);
        for (String n : names) {
            // A (func) import never matches a WASI signature, so a provided function is "incompatible",
            // a missing one "unknown".
            CompiledModule probe = CompiledModule.compile(
                    Wat.toWasm("(module (import \"wasi_snapshot_preview1\" \"" + n + "\" (func)))"));
            assertThatThrownBy(() -> Instance.instantiate(probe, imports, new Store(), Limits.DEFAULT))
                    .as(n)
                    .isInstanceOf(LinkException.class)
                    .hasMessageStartingWith("incompatible import type");
        }
    }
}
