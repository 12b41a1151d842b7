package pm.runtime.wasi;

import java.util.Optional;

/**
 * Finds the host's {@link BlobContent} by SHA-256, so that a restored file system can read files
 * an image names by hash. Given to a restore through {@link WasiSession.Builder#blobs}.
 */
@FunctionalInterface
public interface BlobResolver {
    /** The blob whose content has this SHA-256 (32 bytes), or empty if this host does not hold it. */
    Optional<BlobContent> find(byte[] sha256);

    /** A host without blobs: an image that names one cannot be restored here. */
    static BlobResolver none() {
        return sha256 -> Optional.empty();
    }
}
