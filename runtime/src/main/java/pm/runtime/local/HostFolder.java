package pm.runtime.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import pm.runtime.wasi.ErrnoException;
import pm.runtime.wasi.FileSystem;
import pm.runtime.wasi.Node;

/**
 * A host folder given to a guest: copied into the process's in-memory file system when the program
 * starts (so that it travels in an image like every other file a process holds), and written back
 * when the program ends. Writing back mirrors the guest's tree: new and changed files and
 * directories are written, and what was copied in but the guest removed is removed; host files the
 * guest never saw (other than those copied in) are left alone. Symbolic links and special files
 * are neither copied in nor out. Used by the one thread that runs the program.
 */
final class HostFolder {
    private final Path host;
    /** Paths (relative, '/'-separated) copied in at the start: only these may be removed on the way back. */
    private final Set<String> copiedIn = new HashSet<>();

    HostFolder(Path host) {
        this.host = host;
    }

    /** A file system holding a copy of the folder, limited to {@code maxBytes}. */
    FileSystem load(LongSupplier nowNanos, long maxBytes) {
        FileSystem fs = new FileSystem(nowNanos, maxBytes);
        try {
            copyIn(host, fs, fs.root(), "");
        } catch (ErrnoException e) {
            throw new UsageException("bad --dir " + host + ": it does not fit the file-system limit of " + maxBytes
                    + " bytes (" + e.getMessage() + ")");
        } catch (IOException | UncheckedIOException e) {
            throw new UsageException("bad --dir " + host + ": cannot read it: " + e.getMessage());
        }
        return fs;
    }

    /** Makes the host folder hold what {@code fs} holds (see the class comment). */
    void writeBack(FileSystem fs) throws IOException {
        Files.createDirectories(host);
        copyOut(fs, fs.root(), host, "");
    }

    /** Remembers what was copied in, for {@link #writeBack} on a process restored from an image. */
    void rememberAsCopiedIn(FileSystem fs) {
        remember(fs, fs.root(), "");
    }

    private void remember(FileSystem fs, Node dir, String prefix) {
        for (FileSystem.DirEntry e : children(fs, dir)) {
            Node node = fs.resolve(dir, e.name(), false);
            copiedIn.add(prefix + e.name());
            if (node.kind() == Node.Kind.DIRECTORY) {
                remember(fs, node, prefix + e.name() + "/");
            }
        }
    }

    private void copyIn(Path from, FileSystem fs, Node dir, String prefix) throws IOException {
        try (Stream<Path> children = Files.list(from)) {
            for (Path child : (Iterable<Path>) children.sorted()::iterator) {
                String name = child.getFileName().toString();
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    copiedIn.add(prefix + name);
                    copyIn(child, fs, fs.createDirectory(dir, name), prefix + name + "/");
                } else if (Files.isRegularFile(child, LinkOption.NOFOLLOW_LINKS)) {
                    copiedIn.add(prefix + name);
                    byte[] bytes = Files.readAllBytes(child);
                    Node file = fs.createFile(dir, name);
                    if (fs.write(file, 0, bytes, 0, bytes.length) < bytes.length) {
                        throw new ErrnoException(
                                pm.runtime.wasi.Errno.ENOSPC, child + " is " + bytes.length + " bytes");
                    }
                }
            }
        }
    }

    private void copyOut(FileSystem fs, Node dir, Path to, String prefix) throws IOException {
        Set<String> kept = new HashSet<>();
        for (FileSystem.DirEntry e : children(fs, dir)) {
            Node node = fs.resolve(dir, e.name(), false);
            Path target = to.resolve(e.name());
            if (node.kind() == Node.Kind.DIRECTORY) {
                kept.add(e.name());
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
                        && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(target);
                }
                Files.createDirectories(target);
                copyOut(fs, node, target, prefix + e.name() + "/");
            } else if (node.kind() == Node.Kind.FILE) {
                kept.add(e.name());
                byte[] bytes = new byte[Math.toIntExact(node.size())];
                fs.read(node, 0, bytes, 0, bytes.length);
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    deleteTree(target);
                }
                if (!sameContent(target, bytes)) {
                    Files.write(target, bytes);
                }
            }
        }
        try (Stream<Path> children = Files.list(to)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                String name = child.getFileName().toString();
                if (!kept.contains(name) && copiedIn.contains(prefix + name)) {
                    deleteTree(child); // copied in, removed by the guest
                }
            }
        }
    }

    private static List<FileSystem.DirEntry> children(FileSystem fs, Node dir) {
        return fs.list(dir).stream()
                .filter(e -> !e.name().equals(".") && !e.name().equals(".."))
                .toList();
    }

    private static boolean sameContent(Path file, byte[] bytes) throws IOException {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                && Files.size(file) == bytes.length
                && Arrays.equals(Files.readAllBytes(file), bytes);
    }

    private static void deleteTree(Path path) throws IOException {
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
