package pm.runtime.interp;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compiled code per module hash: a module compiles once and every instance of it, in any process,
 * shares the code. Bounded: at most {@code maxModules} modules and {@code maxClassBytes} bytes of
 * class files are held, least recently used dropped first (instances already running keep their
 * code; a later instance of a dropped module compiles again, or reads it from the disk cache).
 * With a {@link JitDiskCache} the code also outlives the JVM.
 *
 * <p>Threads: any thread may ask. {@link #compiled} compiles on the caller's thread (the
 * {@code COMPILED} tier's promise: code before the first run); {@link #compiledOrStart} hands the
 * work to {@code compiler} and returns at once (the {@code AUTO} tier: the process's thread never
 * compiles). The map is guarded by this object; a compile runs outside the lock, guarded by its
 * future's monitor so that it happens once.
 */
final class JitCache {
    /** Defaults of the JVM's cache; {@code -Dpm.runtime.codeCache.maxModules}, {@code .maxMiB}, {@code .dir} change them. */
    static final int DEFAULT_MAX_MODULES = 64;
    static final long DEFAULT_MAX_CLASS_BYTES = 256L << 20;

    private final int maxModules;
    private final long maxClassBytes;
    private final JitDiskCache disk; // null: memory only
    private final Executor compiler;
    private final LinkedHashMap<String, CompletableFuture<JitCompiler.JitModule>> entries =
            new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicInteger compilations = new AtomicInteger();
    private final AtomicInteger diskLoads = new AtomicInteger();

    JitCache(int maxModules, long maxClassBytes, JitDiskCache disk, Executor compiler) {
        if (maxModules < 1 || maxClassBytes < 1) {
            throw new IllegalArgumentException("a code cache holds at least one module: " + maxModules + ", " + maxClassBytes);
        }
        this.maxModules = maxModules;
        this.maxClassBytes = maxClassBytes;
        this.disk = disk;
        this.compiler = compiler;
    }

    /** The JVM's cache, as its system properties say; compiles in the background on one low-priority daemon thread. */
    static JitCache configured() {
        JitDiskCache disk = null;
        String dir = System.getProperty("pm.runtime.codeCache.dir", "");
        if (!dir.isEmpty()) {
            try {
                disk = new JitDiskCache(Path.of(dir));
            } catch (IOException | RuntimeException e) {
                System.err.println("pm: code cache directory " + dir + " unusable, compiled code stays in memory: " + e);
            }
        }
        Executor background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pm-jit-compiler");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        return new JitCache(Integer.getInteger("pm.runtime.codeCache.maxModules", DEFAULT_MAX_MODULES),
                Long.getLong("pm.runtime.codeCache.maxMiB", DEFAULT_MAX_CLASS_BYTES >> 20) << 20, disk, background);
    }

    /** The module's code, compiled (or read from disk) on this thread if need be; null if none could be made. */
    JitCompiler.JitModule compiled(CompiledModule module) {
        CompletableFuture<JitCompiler.JitModule> f = entry(module);
        produceInto(module, f);
        return f.join();
    }

    /** The module's code if it is ready; otherwise starts making it on the compiler thread and returns null. */
    JitCompiler.JitModule compiledOrStart(CompiledModule module) {
        CompletableFuture<JitCompiler.JitModule> f;
        boolean mine;
        synchronized (this) {
            String key = key(module);
            f = entries.get(key);
            mine = f == null;
            if (mine) {
                f = new CompletableFuture<>();
                entries.put(key, f);
            }
        }
        if (mine) {
            CompletableFuture<JitCompiler.JitModule> started = f;
            compiler.execute(() -> produceInto(module, started));
            return null;
        }
        return f.isDone() ? f.join() : null;
    }

    /** Class-file generations so far (not reads from disk, not cache hits). */
    int compilations() {
        return compilations.get();
    }

    /** Modules whose code came from the disk cache. */
    int diskLoads() {
        return diskLoads.get();
    }

    synchronized int size() {
        return entries.size();
    }

    private synchronized CompletableFuture<JitCompiler.JitModule> entry(CompiledModule module) {
        return entries.computeIfAbsent(key(module), k -> new CompletableFuture<>());
    }

    private void produceInto(CompiledModule module, CompletableFuture<JitCompiler.JitModule> f) {
        if (f.isDone()) {
            return;
        }
        synchronized (f) {
            if (f.isDone()) {
                return;
            }
            try {
                f.complete(produce(module));
            } catch (RuntimeException | LinkageError e) {
                if (Boolean.getBoolean("pm.runtime.jitLog")) {
                    System.err.println("jit: module stays interpreted, its code does not load: " + e);
                }
                f.complete(null); // stays interpreted; the interpreter is the reference tier
            }
        }
        trim();
    }

    private JitCompiler.JitModule produce(CompiledModule module) {
        if (disk != null) {
            var stored = disk.load(module.sha256());
            if (stored.isPresent()) {
                try {
                    JitCompiler.JitModule jm = JitCompiler.load(stored.get());
                    diskLoads.incrementAndGet();
                    return jm;
                } catch (RuntimeException e) {
                    // not loadable here after all: compiled again below, and written over
                }
            }
        }
        compilations.incrementAndGet();
        JitCompiler.Generated g = JitCompiler.generate(module);
        if (g == null) {
            return null;
        }
        JitCompiler.JitModule jm = JitCompiler.load(g);
        if (disk != null) {
            try {
                disk.store(module.sha256(), g);
            } catch (IOException | RuntimeException e) {
                // a full or read-only disk costs the next JVM a compile, nothing more
            }
        }
        return jm;
    }

    /** Drops least recently used finished entries until the bounds hold. */
    private synchronized void trim() {
        long bytes = 0;
        for (CompletableFuture<JitCompiler.JitModule> f : entries.values()) {
            bytes += classBytes(f);
        }
        Iterator<Map.Entry<String, CompletableFuture<JitCompiler.JitModule>>> it = entries.entrySet().iterator();
        while ((entries.size() > maxModules || bytes > maxClassBytes) && it.hasNext()) {
            CompletableFuture<JitCompiler.JitModule> f = it.next().getValue();
            if (f.isDone()) {
                bytes -= classBytes(f);
                it.remove();
            }
        }
    }

    private static long classBytes(CompletableFuture<JitCompiler.JitModule> f) {
        JitCompiler.JitModule jm = f.isDone() ? f.join() : null;
        return jm == null ? 0 : jm.classBytes;
    }

    private static String key(CompiledModule module) {
        return HexFormat.of().formatHex(module.sha256());
    }
}
