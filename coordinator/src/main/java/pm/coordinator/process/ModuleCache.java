package pm.coordinator.process;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Module bytes this coordinator has seen (spawns, imports), by SHA-256, so that an image moved to a
 * node that never ran the module can carry it. Bounded by total bytes, least recently used first
 * out; lost on a leader change (an image move then relies on the target having the module).
 * Thread-safe (synchronized).
 */
public final class ModuleCache {
    private final long maxBytes;
    private final LinkedHashMap<ByteString, ByteString> modules = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public ModuleCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public static ByteString sha256(ByteString module) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            module.asReadOnlyByteBufferList().forEach(digest::update); // no copy of the module
            return ByteString.copyFrom(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Remembers {@code module}; returns its SHA-256 (hashed outside the lock: concurrent spawns do not queue on it). */
    public ByteString put(ByteString module) {
        ByteString sha = sha256(module);
        remember(sha, module);
        return sha;
    }

    private synchronized void remember(ByteString sha, ByteString module) {
        if (modules.put(sha, module) == null) {
            bytes += module.size();
        }
        var it = modules.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<ByteString, ByteString> eldest = it.next();
            bytes -= eldest.getValue().size();
            it.remove();
        }
    }

    public synchronized Optional<ByteString> get(ByteString sha) {
        return Optional.ofNullable(modules.get(sha));
    }
}
