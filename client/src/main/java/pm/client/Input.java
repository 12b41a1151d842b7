package pm.client;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a process reads as a file in /data or as stdin: bytes in hand, or a local file streamed when the
 * spawn is made (never read whole into memory). Small inputs travel inside the spawn request; larger ones
 * are uploaded first and named by their SHA-256.
 */
public sealed interface Input {
    /** The number of bytes. */
    long size();

    /** A fresh stream of the bytes. */
    InputStream open() throws IOException;

    static Input of(byte[] bytes) {
        return new Bytes(ByteString.copyFrom(bytes));
    }

    /** A local file, read when the spawn is made; its size now. */
    static Input of(Path file) {
        try {
            return new LocalFile(file, Files.size(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Bytes in hand. */
    record Bytes(ByteString bytes) implements Input {
        @Override
        public long size() {
            return bytes.size();
        }

        @Override
        public InputStream open() {
            return bytes.newInput();
        }
    }

    /** A local file. */
    record LocalFile(Path path, long size) implements Input {
        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(path);
        }
    }
}
