package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import pm.runtime.InvalidModuleException;
import pm.runtime.LinkException;
import pm.runtime.MalformedModuleException;
import pm.runtime.StateFormatException;
import pm.runtime.StateMismatchException;
import pm.runtime.image.StateBlob;
import pm.runtime.support.Wat;

/** Bad modules, imports and states are refused with a precise exception and touch nothing else. */
class BadInputTest {
    private static final String COUNTER = "(module (global $g (mut i32) (i32.const 0))"
            + " (func (export \"bump\") (result i32)"
            + "   (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g)))";

    private static Instance counter() {
        return Instance.instantiate(
                CompiledModule.compile(Wat.toWasm(COUNTER)), Imports.none(), new Store(), Limits.DEFAULT);
    }

    private static long bump(Instance instance) {
        return new Machine(instance.store(), Limits.DEFAULT).invoke(instance.function("bump"))[0];
    }

    @Test
    void bytesThatAreNotWasmAreMalformed() {
        assertThatThrownBy(() -> CompiledModule.compile("hello, world".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedModuleException.class)
                .hasMessageStartingWith("malformed module");
    }

    @Test
    void truncatedModuleIsMalformed() {
        byte[] wasm = Wat.toWasm(COUNTER);
        assertThatThrownBy(() -> CompiledModule.compile(Arrays.copyOf(wasm, wasm.length - 3)))
                .isInstanceOf(MalformedModuleException.class);
    }

    @Test
    void illTypedModuleIsInvalid() {
        // wat2wasm checks types too, so patch an i64.const into a position that needs an i32.
        byte[] valid = Wat.toWasm("(module (func (result i32) (i32.const 1)))");
        byte[] bad = valid.clone();
        int at = indexOf(bad, new byte[] {0x41, 0x01, 0x0b}); // i32.const 1; end
        bad[at] = 0x42; // i64.const 1
        assertThatThrownBy(() -> CompiledModule.compile(bad))
                .isInstanceOf(InvalidModuleException.class)
                .hasMessageContaining("type mismatch");
    }

    @Test
    void unknownImportNamesTheImport() {
        CompiledModule module = CompiledModule.compile(Wat.toWasm("(module (import \"env\" \"missing\" (func)))"));
        assertThatThrownBy(() -> Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT))
                .isInstanceOf(LinkException.class)
                .hasMessage("unknown import \"env\" \"missing\"");
    }

    @Test
    void importWithWrongSignatureIsIncompatible() {
        CompiledModule module =
                CompiledModule.compile(Wat.toWasm("(module (import \"env\" \"f\" (func (param i32))))"));
        Imports imports = Imports.builder()
                .function("env", "f", new HostFunctionRef("f", new byte[0], new byte[0], (c, a) -> new long[0]))
                .build();
        assertThatThrownBy(() -> Instance.instantiate(module, imports, new Store(), Limits.DEFAULT))
                .isInstanceOf(LinkException.class)
                .hasMessage("incompatible import type for \"env\" \"f\"");
    }

    @Test
    void truncatedStateBlobIsRefusedAndOthersKeepWorking() {
        Instance instance = counter();
        bump(instance);
        byte[] blob = StateBlob.encode(Snapshots.capture(instance, new Machine(instance.store(), Limits.DEFAULT)));

        for (int cut : new int[] {0, 7, 16, blob.length / 2, blob.length - 1}) {
            assertThatThrownBy(() -> StateBlob.decode(Arrays.copyOf(blob, cut)))
                    .isInstanceOf(StateFormatException.class)
                    .hasMessageContaining("truncated");
        }
        assertThat(bump(instance)).isEqualTo(2);
    }

    @Test
    void everyFlippedByteOfAStateBlobIsDetected() {
        Instance instance = counter();
        byte[] blob = StateBlob.encode(Snapshots.capture(instance, new Machine(instance.store(), Limits.DEFAULT)));

        for (int i = 0; i < blob.length; i++) {
            byte[] bad = blob.clone();
            bad[i] ^= 0x20;
            assertThatThrownBy(() -> StateBlob.decode(bad)).isInstanceOf(StateFormatException.class);
        }
    }

    @Test
    void stateOfAnotherModuleIsRefusedNamingBothModules() {
        Instance instance = counter();
        var state = Snapshots.capture(instance, new Machine(instance.store(), Limits.DEFAULT));
        CompiledModule other = CompiledModule.compile(Wat.toWasm("(module (func (export \"f\")))"));

        assertThatThrownBy(() -> Snapshots.restore(other, state, Imports.none(), new Store(), Limits.DEFAULT))
                .isInstanceOf(StateMismatchException.class)
                .hasMessageStartingWith("state belongs to module sha256:");
    }

    @Test
    void stateWithFrameAtNonInstructionOffsetIsRefused() {
        byte[] wasm = Wat.toWasm("(module (func (export \"spin\") (loop (br 0))))");
        CompiledModule module = CompiledModule.compile(wasm);
        Instance instance = Instance.instantiate(module, Imports.none(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT);
        machine.start(instance.function("spin"));
        assertThat(machine.run(10)).isEqualTo(Machine.RunResult.OUT_OF_FUEL);
        var state = Snapshots.capture(instance, machine);
        var bad = state.toBuilder()
                .setFrames(0, state.getFrames(0).toBuilder().setOffset(1))
                .build();

        assertThatThrownBy(() -> Snapshots.restore(module, bad, Imports.none(), new Store(), Limits.DEFAULT))
                .isInstanceOf(StateMismatchException.class)
                .hasMessageContaining("offset 1 is not an instruction boundary");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("pattern not found");
    }
}
