package pm.runtime.interp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.runtime.support.GuestRun;
import pm.runtime.support.Wat;

/** The code cache: once per module hash, bounded, off the caller's thread for AUTO, and on disk across JVMs. */
class JitCacheTest {
    private static final Executor NEVER = r -> {
        throw new AssertionError("nothing should be compiled in the background here");
    };

    @TempDir
    Path dir;

    @Test
    void aKnownModuleIsNotCompiledAgain() throws Exception {
        JitCache cache = new JitCache(8, 1L << 30, null, NEVER);
        CompiledModule lcg = CompiledModule.compile(GuestRun.wasm("lcg"));
        CompiledModule sameBytes = CompiledModule.compile(GuestRun.wasm("lcg"));

        JitCompiler.JitModule first = cache.compiled(lcg, false);

        assertThat(first).isNotNull();
        assertThat(cache.compiled(sameBytes, false)).isSameAs(first);
        assertThat(cache.compiledOrStart(sameBytes, false)).isSameAs(first);
        assertThat(cache.compilations()).isEqualTo(1);
    }

    @Test
    void theCacheHoldsAtMostItsBoundLeastRecentlyUsedDroppedFirst() {
        JitCache cache = new JitCache(2, 1L << 30, null, NEVER);
        CompiledModule a = module(1);
        CompiledModule b = module(2);
        CompiledModule c = module(3);
        cache.compiled(a, false);
        cache.compiled(b, false);
        cache.compiled(a, false); // b is now the least recently used
        cache.compiled(c, false);

        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.compilations()).isEqualTo(3);
        cache.compiled(a, false);
        assertThat(cache.compilations()).as("a was kept").isEqualTo(3);
        cache.compiled(b, false);
        assertThat(cache.compilations())
                .as("b was dropped, so it compiles again")
                .isEqualTo(4);
    }

    @Test
    void theByteBoundDropsModulesToo() {
        JitCache cache = new JitCache(100, 1, null, NEVER); // any class file is over the bound
        cache.compiled(module(1), false);
        cache.compiled(module(2), false);

        assertThat(cache.size()).isZero();
    }

    @Test
    void autoCompilesOnTheCompilerThreadNeverTheCallers() {
        Queue<Runnable> compilerThread = new ArrayDeque<>();
        JitCache cache = new JitCache(8, 1L << 30, null, compilerThread::add);
        CompiledModule m = module(1);

        assertThat(cache.compiledOrStart(m, false)).isNull();
        assertThat(cache.compiledOrStart(m, false)).isNull();
        assertThat(cache.compilations()).isZero();
        assertThat(compilerThread).hasSize(1);

        compilerThread.remove().run();

        assertThat(cache.compiledOrStart(m, false)).isNotNull();
        assertThat(cache.compilations()).isEqualTo(1);
    }

    @Test
    void aDirectoryCarriesTheCodeToANewCacheAsAfterARestart() throws Exception {
        CompiledModule lcg = CompiledModule.compile(GuestRun.wasm("lcg"));
        JitCompiler.JitModule made = new JitCache(8, 1L << 30, new JitDiskCache(dir), NEVER).compiled(lcg, false);

        JitCache restarted = new JitCache(8, 1L << 30, new JitDiskCache(dir), NEVER);
        JitCompiler.JitModule loaded = restarted.compiled(lcg, false);

        assertThat(restarted.compilations()).isZero();
        assertThat(restarted.diskLoads()).isEqualTo(1);
        assertThat(loaded.compiled).isEqualTo(made.compiled);
        assertThat(loaded.sites).isDeepEqualTo(made.sites);
        assertThat(runs(lcg, loaded)).isEqualTo(GuestRun.expected("lcg"));
    }

    @Test
    void aDamagedFileOnDiskIsCompiledAgainAndReplaced() throws Exception {
        CompiledModule m = module(1);
        JitDiskCache disk = new JitDiskCache(dir);
        new JitCache(8, 1L << 30, disk, NEVER).compiled(m, false);
        Path file = disk.file(m.sha256(), false);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);

        JitCache restarted = new JitCache(8, 1L << 30, new JitDiskCache(dir), NEVER);

        assertThat(restarted.compiled(m, false)).isNotNull();
        assertThat(restarted.compilations()).isEqualTo(1);
        assertThat(new JitDiskCache(dir).load(m.sha256(), false)).isPresent();
    }

    @Test
    void aModuleCompiledAgainstACacheHasItsCodeMadeThereAndRestartsFromItsDirectory() throws Exception {
        byte[] lcg = GuestRun.wasm("lcg");
        JitCache cache = JitCache.inDirectory(dir.resolve("code"));
        try (cache) {
            CompiledModule m = CompiledModule.compile(lcg, cache);
            cache.prepare(m);

            assertThat(runs(m, Machine.Tier.COMPILED)).isEqualTo(GuestRun.expected("lcg"));
        }
        assertThat(cache.compilations())
                .as("both variants, with and without dirty marks")
                .isEqualTo(2);
        JitCache restarted = JitCache.inDirectory(dir.resolve("code"));
        try (restarted) {
            CompiledModule m = CompiledModule.compile(lcg, restarted);
            restarted.prepare(m);

            assertThat(runs(m, Machine.Tier.COMPILED)).isEqualTo(GuestRun.expected("lcg"));
        }
        assertThat(restarted.compilations()).isZero();
        assertThat(restarted.diskLoads()).isEqualTo(2);
    }

    @Test
    void aClosedCacheStartsNoCompileAndItsModulesRunInterpreted() throws Exception {
        JitCache cache = JitCache.inDirectory(dir);
        cache.close();
        cache.close(); // idempotent
        CompiledModule lcg = CompiledModule.compile(GuestRun.wasm("lcg"), cache);

        cache.prepare(lcg);

        assertThat(runs(lcg, Machine.Tier.AUTO)).isEqualTo(GuestRun.expected("lcg"));
        assertThat(cache.compilations()).isZero();
    }

    @Test
    void aForgottenModuleIsGoneFromDiskToo() throws Exception {
        CompiledModule m = module(1);
        try (JitCache cache = JitCache.inDirectory(dir)) {
            cache.compiled(m, false);
            cache.forget(m.sha256());
        }
        try (JitCache restarted = JitCache.inDirectory(dir)) {
            restarted.compiled(m, false);

            assertThat(restarted.diskLoads()).isZero();
            assertThat(restarted.compilations()).isEqualTo(1);
        }
    }

    @Test
    void aDirectoryThatIsAFileIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("code"), "x");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JitCache.inDirectory(file))
                .isInstanceOf(java.io.IOException.class);
    }

    /** The output of lcg run to its end in a fresh instance of {@code module}, in {@code tier}. */
    private static String runs(CompiledModule module, Machine.Tier tier) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        pm.runtime.wasi.WasiSession session = pm.runtime.wasi.WasiSession.builder()
                .args(java.util.List.of("lcg"))
                .stdout(out::write)
                .build();
        Instance instance = Instance.instantiate(
                module, new pm.runtime.wasi.WasiPreview1(session).imports(), new Store(), Limits.DEFAULT);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT.withTier(tier));
        try {
            machine.invoke(instance.function("_start"));
        } catch (pm.runtime.wasi.ProcessExit e) {
            assertThat(e.status()).isZero();
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A small module of its own hash: {@code n} is a constant in its code. */
    private static CompiledModule module(int n) {
        return CompiledModule.compile(Wat.toWasm("(module (func (export \"f\") (param i32) (result i32)"
                + " (local.get 0) (i32.const " + n + ") (i32.add)))"));
    }

    /** The output of lcg run with {@code code} attached to its instance. */
    private static String runs(CompiledModule module, JitCompiler.JitModule code) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        pm.runtime.wasi.WasiSession session = pm.runtime.wasi.WasiSession.builder()
                .args(java.util.List.of("lcg"))
                .stdout(out::write)
                .build();
        Instance instance = Instance.instantiate(
                module, new pm.runtime.wasi.WasiPreview1(session).imports(), new Store(), Limits.DEFAULT);
        JitBridge.attach(instance, code);
        Machine machine = new Machine(instance.store(), Limits.DEFAULT.withTier(Machine.Tier.COMPILED));
        try {
            machine.invoke(instance.function("_start"));
        } catch (pm.runtime.wasi.ProcessExit e) {
            assertThat(e.status()).isZero();
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
