package pm.agent.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.support.PageGroups;
import pm.runtime.interp.CompiledModule;

/** Modules by SHA-256: stored once, returned whole and checked, across instances. */
class ModuleStoreTest {
    @TempDir
    Path dir;

    @Test
    void aModuleComesBackByItsSha256AfterReopening() throws Exception {
        byte[] wasm = PageGroups.wasm();
        String sha = new ModuleStore(dir).put(wasm);

        ModuleStore reopened = new ModuleStore(dir);
        assertThat(sha)
                .isEqualTo(HexFormat.of().formatHex(CompiledModule.compile(wasm).sha256()));
        assertThat(reopened.contains(sha)).isTrue();
        assertThat(reopened.get(sha))
                .hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(wasm));
        assertThat(reopened.get("0".repeat(64))).isEmpty();
        assertThat(reopened.contains("0".repeat(64))).isFalse();
    }

    @Test
    void aModuleIsStoredOnce() throws Exception {
        ModuleStore store = new ModuleStore(dir);
        String first = store.put(PageGroups.wasm());
        Path file = dir.resolve(first.substring(0, 2)).resolve(first);
        Object inode = Files.readAttributes(file, BasicFileAttributes.class).fileKey();

        assertThat(store.put(PageGroups.wasm())).isEqualTo(first);
        assertThat(Files.readAttributes(file, BasicFileAttributes.class).fileKey())
                .as("not rewritten")
                .isEqualTo(inode);
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).hasSize(1);
        }
    }

    @Test
    void aModuleFileThatNoLongerMatchesItsHashIsAbsentUntilPutAgain() throws Exception {
        ModuleStore store = new ModuleStore(dir);
        byte[] wasm = PageGroups.wasm();
        String sha = store.put(wasm);
        Path file = dir.resolve(sha.substring(0, 2)).resolve(sha);
        byte[] damaged = wasm.clone();
        damaged[damaged.length - 1] ^= 1;
        Files.write(file, damaged);

        assertThat(store.get(sha)).isEmpty();
        assertThat(store.contains(sha)).isFalse();
        store.put(wasm);
        assertThat(store.get(sha)).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(wasm));
    }

    @Test
    void aNameThatIsNotAHashIsRefused() throws Exception {
        ModuleStore store = new ModuleStore(dir);

        assertThatThrownBy(() -> store.get("../" + "a".repeat(61)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a module SHA-256 (64 lowercase hex digits): ../");
        assertThatThrownBy(() -> store.contains("A".repeat(64))).isInstanceOf(IllegalArgumentException.class);
    }
}
