package pm.runtime.interp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Compiled code kept on disk, one file per module hash and variant (with or without the stores'
 * dirty marks), so that a restarted JVM (an agent after a
 * restart) loads a known module's class file instead of compiling it again. A file is named by
 * the module's SHA-256 and a fingerprint of the compiler's own classes, so code made by another
 * build of the compiler is never loaded; its content ends with its own SHA-256, and a file that
 * does not check out is ignored (and replaced by the next compile). The loaded class is verified by
 * the JVM like any other. Files are written beside their names and renamed, so a reader never
 * sees half of one. Safe for concurrent use (files are immutable once named).
 */
final class JitDiskCache {
    private static final int MAGIC = 0x504D4A31; // "PMJ1"
    /** The classes whose code decides what the compiler emits. */
    private static final String[] COMPILER_CLASSES = {
        "JitCompiler",
        "JitFunctionEmitter",
        "JitNumericEmitter",
        "JitMemoryEmitter",
        "JitSafepoints",
        "JitResumeSites",
        "JitTypeStack",
        "JitRegions",
        "JitStoreMarks",
        "JitOps",
        "JitRuntime",
        "JitCode",
        "JitContext",
        "JitUnwind",
        "JitResume"
    };

    private final Path dir;
    private final String fingerprint;

    JitDiskCache(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.fingerprint = fingerprint();
    }

    Optional<JitCompiler.Generated> load(byte[] moduleSha256, boolean storeBarrier) {
        Path file = file(moduleSha256, storeBarrier);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            byte[] all = Files.readAllBytes(file);
            if (all.length < 32
                    || !Arrays.equals(
                            sha256(all, all.length - 32), Arrays.copyOfRange(all, all.length - 32, all.length))) {
                return Optional.empty();
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, 0, all.length - 32));
            if (in.readInt() != MAGIC) {
                return Optional.empty();
            }
            boolean[] compiled = new boolean[in.readInt()];
            for (int i = 0; i < compiled.length; i++) {
                compiled[i] = in.readBoolean();
            }
            int[][] sites = new int[in.readInt()][];
            for (int i = 0; i < sites.length; i++) {
                int n = in.readInt();
                if (n >= 0) {
                    sites[i] = new int[n];
                    for (int j = 0; j < n; j++) {
                        sites[i][j] = in.readInt();
                    }
                }
            }
            byte[] classFile = new byte[in.readInt()];
            in.readFully(classFile);
            return Optional.of(new JitCompiler.Generated(classFile, compiled, sites, storeBarrier));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // unreadable: compiled again, and written over
        }
    }

    void store(byte[] moduleSha256, JitCompiler.Generated g) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(g.classFile().length + 1024);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(g.compiled().length);
        for (boolean c : g.compiled()) {
            out.writeBoolean(c);
        }
        out.writeInt(g.sites().length);
        for (int[] s : g.sites()) {
            out.writeInt(s == null ? -1 : s.length);
            if (s != null) {
                for (int v : s) {
                    out.writeInt(v);
                }
            }
        }
        out.writeInt(g.classFile().length);
        out.write(g.classFile());
        out.flush();
        byte[] body = bytes.toByteArray();
        out.write(sha256(body, body.length));
        out.flush();
        Path file = file(moduleSha256, g.storeBarrier());
        Path partial = Files.createTempFile(dir, file.getFileName().toString(), ".partial");
        try {
            Files.write(partial, bytes.toByteArray());
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** Deletes the module's code, of every compiler build; a file that cannot be deleted is left (it is only ever read whole). */
    void delete(byte[] moduleSha256) {
        String prefix = HexFormat.of().formatHex(moduleSha256) + "-";
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>)
                    files.filter(f -> f.getFileName().toString().startsWith(prefix))::iterator) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            // kept; the next sweep tries again
        }
    }

    Path file(byte[] moduleSha256, boolean storeBarrier) {
        return dir.resolve(
                HexFormat.of().formatHex(moduleSha256) + "-" + fingerprint + (storeBarrier ? "-marks" : "") + ".jit");
    }

    private static String fingerprint() throws IOException {
        MessageDigest d = digest();
        for (String name : COMPILER_CLASSES) {
            try (InputStream in = JitDiskCache.class.getResourceAsStream(name + ".class")) {
                if (in == null) {
                    throw new IOException("cannot read the compiler's class " + name + " to fingerprint it");
                }
                d.update(in.readAllBytes());
            }
        }
        d.update((byte) (JitCompiler.COMPILE_HUGE ? 1 : 0)); // decides which functions are compiled
        d.update((byte) (JitStoreMarks.GROUPS ? 1 : 0)); // and which stores mark
        d.update(Integer.toString(JitRegions.LIMIT)
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII)); // and how split
        return HexFormat.of().formatHex(d.digest(), 0, 8);
    }

    private static byte[] sha256(byte[] bytes, int length) {
        MessageDigest d = digest();
        d.update(bytes, 0, length);
        return d.digest();
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
