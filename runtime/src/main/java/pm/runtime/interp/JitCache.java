package pm.runtime.interp;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compiled code per module hash and variant (with or without the stores' dirty marks, see
 * {@link MemoryInstance}): a module compiles once per variant and every instance of it, in any
 * process, shares the code. Bounded: at most {@code maxModules} modules and {@code maxClassBytes} bytes of
 * class files are held, least recently used dropped first (instances already running keep their
 * code; a later instance of a dropped module compiles again, or reads it from the disk cache).
 * With a {@link JitDiskCache} the code also outlives the JVM.
 *
 * <p>A module uses the cache it was compiled against ({@link CompiledModule#compile(byte[], JitCache)}):
 * an agent keeps one of its own under its data directory ({@link #inDirectory}) and closes it with
 * itself; modules compiled without one share the JVM's ({@code -Dpm.runtime.codeCache.*}), which
 * is never closed.
 *
 * <p>Threads: any thread may ask. {@link #compiled} compiles on the caller's thread (the
 * {@code COMPILED} tier's promise: code before the first run); {@link #compiledOrStart} and
 * {@link #prepare} hand the work to {@code compiler} and return at once (the {@code AUTO} tier: the
 * process's thread never compiles). The map is guarded by this object; a compile runs outside the
 * lock, guarded by its future's monitor so that it happens once. Closing stops the background
 * thread (a compile under way finishes and is stored); afterwards modules not yet made stay
 * interpreted for {@code AUTO}.
 */
public final class JitCache implements AutoCloseable {
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
    private final AtomicBoolean closed = new AtomicBoolean();

    JitCache(int maxModules, long maxClassBytes, JitDiskCache disk, Executor compiler) {
        if (maxModules < 1 || maxClassBytes < 1) {
            throw new IllegalArgumentException(
                    "a code cache holds at least one module: " + maxModules + ", " + maxClassBytes);
        }
        this.maxModules = maxModules;
        this.maxClassBytes = maxClassBytes;
        this.disk = disk;
        this.compiler = compiler;
    }

    /**
     * A cache of its own that also keeps its code in {@code dir} (created if missing), so that a
     * later cache on the same directory, in this JVM or the next, loads a known module's code
     * instead of compiling it; the JVM cache's bounds; its own background compiler thread, until
     * {@link #close}. Throws IOException when the directory cannot be made or is not one.
     */
    public static JitCache inDirectory(Path dir) throws IOException {
        return new JitCache(
                Integer.getInteger("pm.runtime.codeCache.maxModules", DEFAULT_MAX_MODULES),
                Long.getLong("pm.runtime.codeCache.maxMiB", DEFAULT_MAX_CLASS_BYTES >> 20) << 20,
                new JitDiskCache(dir),
                backgroundCompiler());
    }

    /** The JVM's cache, as its system properties say; compiles in the background on one low-priority daemon thread. */
    static JitCache configured() {
        JitDiskCache disk = null;
        String dir = System.getProperty("pm.runtime.codeCache.dir", "");
        if (!dir.isEmpty()) {
            try {
                disk = new JitDiskCache(Path.of(dir));
            } catch (IOException | RuntimeException e) {
                System.err.println(
                        "pm: code cache directory " + dir + " unusable, compiled code stays in memory: " + e);
            }
        }
        return new JitCache(
                Integer.getInteger("pm.runtime.codeCache.maxModules", DEFAULT_MAX_MODULES),
                Long.getLong("pm.runtime.codeCache.maxMiB", DEFAULT_MAX_CLASS_BYTES >> 20) << 20,
                disk,
                backgroundCompiler());
    }

    /** One low-priority daemon thread. */
    private static ExecutorService backgroundCompiler() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pm-jit-compiler");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
    }

    /**
     * The module's code, its stores marking their pages dirty or not, compiled (or read from disk)
     * on this thread if need be; null if none could be made.
     */
    JitCompiler.JitModule compiled(CompiledModule module, boolean storeBarrier) {
        CompletableFuture<JitCompiler.JitModule> f = entry(module, storeBarrier);
        produceInto(module, storeBarrier, f);
        return f.join();
    }

    /** As {@link #compiled} if the code is ready; otherwise starts making it on the compiler thread and returns null. */
    JitCompiler.JitModule compiledOrStart(CompiledModule module, boolean storeBarrier) {
        CompletableFuture<JitCompiler.JitModule> f;
        boolean mine;
        synchronized (this) {
            String key = key(module, storeBarrier);
            f = entries.get(key);
            mine = f == null;
            if (mine) {
                f = new CompletableFuture<>();
                entries.put(key, f);
            }
        }
        if (mine) {
            CompletableFuture<JitCompiler.JitModule> started = f;
            try {
                compiler.execute(() -> {
                    if (!closed.get()) {
                        produceInto(module, storeBarrier, started);
                    }
                });
            } catch (RejectedExecutionException e) {
                // closed: stays interpreted (a COMPILED caller still makes it on its own thread)
            }
            return null;
        }
        return f.isDone() ? f.join() : null;
    }

    /**
     * Starts making {@code module}'s code on the compiler thread unless it is made or under way, so
     * that it is there by the time a process of the module runs (a spawn, a restore, a migration
     * arriving): first the variant without dirty marks, which runs while no one reads them, then
     * the one with them, for when someone does (a checkpoint, a pre-copy). Returns at once.
     */
    public void prepare(CompiledModule module) {
        compiledOrStart(module, false);
        compiledOrStart(module, true);
    }

    /**
     * Forgets {@code moduleSha256}'s code, here and on disk (the module itself is gone); instances
     * running keep theirs.
     */
    public void forget(byte[] moduleSha256) {
        synchronized (this) {
            entries.remove(key(moduleSha256, false));
            entries.remove(key(moduleSha256, true));
        }
        if (disk != null) {
            disk.delete(moduleSha256);
        }
    }

    /** Stops the background compiler, letting a compile under way finish and be stored. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (compiler instanceof ExecutorService background) {
            background.shutdown();
            try {
                background.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Modules compiled to class files so far, each counted once made (and stored); not reads from disk, not cache hits. */
    public int compilations() {
        return compilations.get();
    }

    /** Modules whose code came from the disk cache. */
    public int diskLoads() {
        return diskLoads.get();
    }

    synchronized int size() {
        return entries.size();
    }

    private synchronized CompletableFuture<JitCompiler.JitModule> entry(CompiledModule module, boolean storeBarrier) {
        return entries.computeIfAbsent(key(module, storeBarrier), k -> new CompletableFuture<>());
    }

    private void produceInto(CompiledModule module, boolean storeBarrier, CompletableFuture<JitCompiler.JitModule> f) {
        if (f.isDone()) {
            return;
        }
        synchronized (f) {
            if (f.isDone()) {
                return;
            }
            try {
                f.complete(produce(module, storeBarrier));
            } catch (RuntimeException | LinkageError e) {
                if (Boolean.getBoolean("pm.runtime.jitLog")) {
                    System.err.println("jit: module stays interpreted, its code does not load: " + e);
                }
                f.complete(null); // stays interpreted; the interpreter is the reference tier
            }
        }
        trim();
    }

    private JitCompiler.JitModule produce(CompiledModule module, boolean storeBarrier) {
        if (disk != null) {
            var stored = disk.load(module.sha256(), storeBarrier);
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
        try {
            JitCompiler.Generated g = JitCompiler.generate(module, JitRegions.LIMIT, storeBarrier);
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
        } finally {
            compilations.incrementAndGet(); // after the store: a count seen means the file is there
        }
    }

    /** Drops least recently used finished entries until the bounds hold. */
    private synchronized void trim() {
        long bytes = 0;
        for (CompletableFuture<JitCompiler.JitModule> f : entries.values()) {
            bytes += classBytes(f);
        }
        Iterator<Map.Entry<String, CompletableFuture<JitCompiler.JitModule>>> it =
                entries.entrySet().iterator();
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

    private static String key(CompiledModule module, boolean storeBarrier) {
        return key(module.sha256(), storeBarrier);
    }

    private static String key(byte[] moduleSha256, boolean storeBarrier) {
        return HexFormat.of().formatHex(moduleSha256) + (storeBarrier ? "+marks" : "");
    }
}
