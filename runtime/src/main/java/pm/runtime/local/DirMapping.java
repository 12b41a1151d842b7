package pm.runtime.local;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A host folder the guest sees at {@code guest} ({@code --dir HOST::GUEST}, or {@code --dir DIR}
 * for the same path on both sides, as wasmtime spells it).
 */
public record DirMapping(Path host, String guest) {
    public DirMapping {
        if (guest.isEmpty()) {
            throw new UsageException("bad --dir: an empty guest path");
        }
    }

    /** Parses {@code HOST::GUEST} or {@code DIR}; the host side must be an existing directory. */
    public static DirMapping parse(String value) {
        int sep = value.indexOf("::");
        String host = sep < 0 ? value : value.substring(0, sep);
        String guest = sep < 0 ? value : value.substring(sep + 2);
        if (host.isEmpty() || guest.isEmpty()) {
            throw new UsageException("bad --dir " + value + ": expected HOST::GUEST or DIR");
        }
        Path path = Path.of(host);
        if (!Files.isDirectory(path)) {
            throw new UsageException("bad --dir " + value + ": " + host + " is not a directory");
        }
        return new DirMapping(path, guest);
    }
}
