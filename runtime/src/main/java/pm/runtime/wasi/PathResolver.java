package pm.runtime.wasi;

import java.nio.charset.StandardCharsets;
import pm.runtime.wasi.FileSystem.Located;
import pm.runtime.wasi.Node.Kind;

/**
 * Path lookup for {@link FileSystem}. Paths are relative; "." and repeated or trailing slashes are
 * allowed; a trailing slash demands a directory. Neither ".." nor a symlink may leave the root
 * (ENOTCAPABLE), and symlink targets must be relative: the root is the sandbox, so there is
 * nothing outside it to name. A path whose ".." components, counted as written, climb above the
 * root is refused before anything is looked up, so "missing/../../x" is ENOTCAPABLE rather than
 * ENOENT, as node:wasi answers. Read-only: it never changes a node.
 */
final class PathResolver {
    static final int MAX_NAME_BYTES = 255;
    static final int MAX_SYMLINK_HOPS = 32;

    private PathResolver() {}

    static Node resolve(Node root, Node dir, String path, boolean followFinal) {
        return walk(root, dir, path, followFinal, new int[1]);
    }

    static Located resolveParent(Node root, Node dir, String path) {
        checkPath(path);
        checkStaysInside(root, dir, path);
        int end = path.length();
        while (path.charAt(end - 1) == '/') {
            end--; // stops before index 0, which checkPath showed is not a slash
        }
        String trimmed = path.substring(0, end);
        int slash = trimmed.lastIndexOf('/');
        // The prefix keeps its slash, so walk insists that it names a directory.
        Node parent = slash < 0 ? dir : walk(root, dir, trimmed.substring(0, slash + 1), true, new int[1]);
        String name = trimmed.substring(slash + 1);
        checkLength(name);
        Node existing = parent.entries.get(name);
        if (end < path.length() && existing != null && existing.kind() != Kind.DIRECTORY) {
            throw new ErrnoException(Errno.ENOTDIR, "'" + path + "': " + existing + " is not a directory");
        }
        return new Located(parent, name);
    }

    /** {@code hops} counts symlinks followed over the whole lookup, through nested targets. */
    private static Node walk(Node root, Node start, String path, boolean followFinal, int[] hops) {
        checkPath(path);
        checkStaysInside(root, start, path);
        boolean mustBeDirectory = path.endsWith("/");
        String[] names = path.split("/+");
        Node at = start;
        for (int i = 0; i < names.length; i++) {
            String name = names[i];
            checkLength(name);
            if (at.kind() != Kind.DIRECTORY) {
                throw new ErrnoException(Errno.ENOTDIR, "'" + path + "': " + at + " is not a directory");
            }
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (at == root) {
                    throw new ErrnoException(Errno.ENOTCAPABLE, "'" + path + "' leaves the root");
                }
                if (at.nlink == 0) {
                    throw new ErrnoException(Errno.ENOENT, "'" + path + "': " + at + " was removed");
                }
                at = at.parent;
                continue;
            }
            Node next = at.entries.get(name);
            if (next == null) {
                throw new ErrnoException(Errno.ENOENT, "'" + path + "': no '" + name + "' in " + at);
            }
            boolean last = i == names.length - 1;
            if (next.kind() == Kind.SYMLINK && (!last || followFinal || mustBeDirectory)) {
                if (++hops[0] > MAX_SYMLINK_HOPS) {
                    throw new ErrnoException(
                            Errno.ELOOP, "'" + path + "': more than " + MAX_SYMLINK_HOPS + " symlinks");
                }
                next = walk(root, at, next.symlinkTarget(), true, hops);
            }
            at = next;
        }
        if (mustBeDirectory && at.kind() != Kind.DIRECTORY) {
            throw new ErrnoException(Errno.ENOTDIR, "'" + path + "': " + at + " is not a directory");
        }
        return at;
    }

    private static void checkPath(String path) {
        if (path.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, "empty path");
        }
        if (path.charAt(0) == '/') {
            throw new ErrnoException(Errno.ENOTCAPABLE, "absolute path '" + path + "'");
        }
    }

    /** ENOTCAPABLE if the path's own ".." components, read from {@code start}, would climb above {@code root}. */
    private static void checkStaysInside(Node root, Node start, String path) {
        if (!path.contains("..")) {
            return;
        }
        int depth = 0;
        for (Node n = start; n != root && n.parent != n; n = n.parent) {
            depth++;
        }
        for (String name : path.split("/+")) {
            if (name.equals("..")) {
                if (--depth < 0) {
                    throw new ErrnoException(Errno.ENOTCAPABLE, "'" + path + "' leaves the root");
                }
            } else if (!name.isEmpty() && !name.equals(".")) {
                depth++;
            }
        }
    }

    private static void checkLength(String name) {
        // A UTF-16 char is at most 3 UTF-8 bytes, so short names need no encoding.
        if (name.length() > MAX_NAME_BYTES / 3 && utf8Length(name) > MAX_NAME_BYTES) {
            throw new ErrnoException(Errno.ENAMETOOLONG, "name of " + utf8Length(name) + " bytes: '" + name + "'");
        }
    }

    /** Why {@code name} cannot be a new directory entry, or null if it can. */
    static Errno invalidName(String name) {
        if (name.isEmpty()) {
            return Errno.ENOENT;
        }
        if (name.equals(".") || name.equals("..")) {
            return Errno.EEXIST;
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            return Errno.EINVAL;
        }
        return utf8Length(name) > MAX_NAME_BYTES ? Errno.ENAMETOOLONG : null;
    }

    static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
