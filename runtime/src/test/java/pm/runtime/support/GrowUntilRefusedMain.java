package pm.runtime.support;

import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.Limits;
import pm.runtime.process.WasiProcess;
import pm.runtime.wasi.WasiSession;

/**
 * Runs, in a JVM of its own (a small heap), a guest that grows its memory by 4 MiB until
 * memory.grow answers -1, under {@link Limits#DEFAULT} and this JVM's memory budget; prints the
 * process's end state, exit status and failure, one per line.
 */
public final class GrowUntilRefusedMain {
    public static final String GUEST = "(module"
            + " (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
            + " (memory 1)"
            + " (func (export \"_start\") (local $grows i32)"
            + "  (block $refused (loop $more"
            + "   (br_if $refused (i32.eq (memory.grow (i32.const 64)) (i32.const -1)))"
            + "   (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 7))"
            + "   (local.set $grows (i32.add (local.get $grows) (i32.const 1)))"
            + "   (br $more)))"
            + "  (call $exit (local.get $grows))))";

    private GrowUntilRefusedMain() {}

    public static void main(String[] args) {
        WasiProcess p = WasiProcess.start(
                CompiledModule.compile(Wat.toWasm(GUEST)), WasiSession.builder().build(), Limits.DEFAULT, 1 << 20);
        System.out.println(p.run(Long.MAX_VALUE));
        System.out.println(p.exitStatus());
        System.out.println(p.failure());
    }
}
