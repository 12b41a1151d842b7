package pm.runtime.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import pm.runtime.wasi.BlobContent;
import pm.runtime.wasi.BlobResolver;

/**
 * Test implementations of the blob interfaces a host provides: content in an array, content
 * computed from its position (for sizes no array holds), content whose disk fails, and a store
 * that resolves them by hash. Single-threaded, as the tests using them.
 */
public final class Blobs {
    private Blobs() {}

    /** A blob holding {@code bytes} (not copied: a test may check that they never change). */
    public static BlobContent of(byte[] bytes) {
        return new InArray(bytes, sha256(bytes));
    }

    /**
     * {@code size} bytes where byte {@code p} is {@link #patternByte}; its hash is declared, not
     * computed, because hashing gigabytes would only slow the test down.
     */
    public static BlobContent pattern(long size, byte[] declaredSha256) {
        return new Pattern(size, declaredSha256.clone());
    }

    public static byte patternByte(long position) {
        return (byte) (position * 31 + (position >>> 24));
    }

    /** A blob of {@code size} bytes whose every read fails as a broken disk would. */
    public static BlobContent failing(long size) {
        return new Failing(size, sha256(new byte[] {1, 2, 3}));
    }

    public static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(BlobContent blob) {
        return HexFormat.of().formatHex(blob.sha256());
    }

    /** Blobs by hash, as a host's blob store would hand them to a restore. */
    public static final class Store implements BlobResolver {
        private final Map<String, BlobContent> byHash = new HashMap<>();

        public BlobContent put(byte[] bytes) {
            return put(of(bytes));
        }

        public BlobContent put(BlobContent blob) {
            byHash.put(hex(blob), blob);
            return blob;
        }

        @Override
        public Optional<BlobContent> find(byte[] sha256) {
            return Optional.ofNullable(byHash.get(HexFormat.of().formatHex(sha256)));
        }
    }

    private record InArray(byte[] bytes, byte[] hash) implements BlobContent {
        @Override
        public byte[] sha256() {
            return hash.clone();
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public int read(long position, byte[] into, int offset, int length) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(length, bytes.length - position);
            System.arraycopy(bytes, (int) position, into, offset, n);
            return n;
        }
    }

    /** Hands out at most 4 KiB per read, so callers must cope with short reads as from a real file. */
    private record Pattern(long size, byte[] hash) implements BlobContent {
        @Override
        public byte[] sha256() {
            return hash.clone();
        }

        @Override
        public int read(long position, byte[] into, int offset, int length) {
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(Math.min(length, 4096), size - position);
            for (int i = 0; i < n; i++) {
                into[offset + i] = patternByte(position + i);
            }
            return n;
        }
    }

    private record Failing(long size, byte[] hash) implements BlobContent {
        @Override
        public byte[] sha256() {
            return hash.clone();
        }

        @Override
        public int read(long position, byte[] into, int offset, int length) {
            throw new UncheckedIOException(new IOException("disk read error at " + position));
        }
    }
}
