package pm.agent.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import pm.agent.store.crypto.ClusterKeys;
import pm.agent.store.crypto.SealedStagingFile;

/**
 * The memory of a process arriving by migration, on disk while it arrives: whole pages written at
 * their place (a page may be written again by a later round), forced on demand, read back whole
 * after a restart. Plain, a page is at its offset in memory; with image keys, each is sealed
 * ({@link SealedStagingFile}). One writer thread at a time.
 */
public interface StagingFile extends Closeable {
    /** Writes {@code memory[from, from + length)}, whole pages, at its place. */
    void write(byte[] memory, int from, int length) throws IOException;

    /** Makes everything written so far durable. */
    void force() throws IOException;

    /** A new, empty staging file at {@code file} (replacing any), sealed under {@code keys} unless they are none. */
    static StagingFile create(Path file, ClusterKeys keys) throws IOException {
        FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        return keys.isNone() ? new Plain(ch) : SealedStagingFile.create(ch, keys);
    }

    /** The staged memory of {@code pages} pages (pages never written read as zero); a sealed file is authenticated page by page. */
    static byte[] read(Path file, int pages, ClusterKeys keys) throws IOException {
        byte[] memory = new byte[Math.multiplyExact(pages, 65536)];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (!keys.isNone() || SealedStagingFile.looksSealed(ch)) {
                SealedStagingFile.read(ch, memory, keys, file.toString());
                return memory;
            }
            ByteBuffer buffer = ByteBuffer.wrap(memory);
            while (buffer.hasRemaining() && ch.read(buffer) >= 0) {
                // until the end of the memory or of the file
            }
        }
        return memory;
    }

    /** Pages at their offsets in memory, as they are. */
    final class Plain implements StagingFile {
        private final FileChannel file;

        public Plain(FileChannel file) {
            this.file = file;
        }

        @Override
        public void write(byte[] memory, int from, int length) throws IOException {
            ByteBuffer bytes = ByteBuffer.wrap(memory, from, length);
            long at = from;
            while (bytes.hasRemaining()) {
                at += file.write(bytes, at);
            }
        }

        @Override
        public void force() throws IOException {
            file.force(false);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
