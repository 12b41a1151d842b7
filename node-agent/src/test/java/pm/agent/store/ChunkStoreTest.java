package pm.agent.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chunks by content: named by SHA-256 under a two-digit directory, written once, temporary files not chunks. */
class ChunkStoreTest {
    @TempDir
    Path dir;

    @Test
    void aChunkIsWrittenOnceUnderItsHash() throws Exception {
        ChunkStore chunks = new ChunkStore(dir);
        byte[] bytes = "a framed chunk".getBytes(StandardCharsets.UTF_8);
        String hash = ChunkStore.hash(bytes);

        assertThat(chunks.put(hash, bytes)).isTrue();
        assertThat(chunks.put(hash, bytes)).isFalse();
        assertThat(dir.resolve(hash.substring(0, 2)).resolve(hash)).hasBinaryContent(bytes);
        assertThat(hash)
                .isEqualTo("1395f910f22efc054c61a5c5b69002fc3736439113eb2b1542049a8d6e2a7f3e"); // sha256sum of the same
        // text
        try (var in = chunks.open(hash)) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        assertThat(chunks.size(hash)).isEqualTo(bytes.length);
    }

    @Test
    void aBatchGivesTheChunksBackInOrderAndWritesEachNewOneOnce() throws Exception {
        ChunkStore chunks = new ChunkStore(dir);
        byte[] held = {1};
        chunks.put(ChunkStore.hash(held), held);
        byte[] a = {2};
        byte[] b = new byte[100_000];
        ExecutorService io = Executors.newFixedThreadPool(2);
        List<ChunkStore.Stored> stored;
        try (ChunkStore.Batch batch = chunks.batch(io, 2)) {
            for (byte[] chunk : List.of(a, held, b, a, b, a)) {
                batch.add(chunk);
            }
            stored = batch.finish();
        } finally {
            io.shutdown();
        }

        String ha = ChunkStore.hash(a);
        String hb = ChunkStore.hash(b);
        assertThat(stored)
                .extracting(ChunkStore.Stored::hash)
                .containsExactly(ha, ChunkStore.hash(held), hb, ha, hb, ha);
        assertThat(stored.stream().filter(ChunkStore.Stored::fresh))
                .extracting(ChunkStore.Stored::hash)
                .containsExactlyInAnyOrder(ha, hb);
        assertThat(chunks.list()).containsExactlyInAnyOrder(ha, hb, ChunkStore.hash(held));
        assertThat(chunks.size(hb)).isEqualTo(100_000);
    }

    @Test
    void aChunkCutShortIsWrittenAgain() throws Exception {
        ChunkStore chunks = new ChunkStore(dir);
        byte[] bytes = new byte[1000];
        String hash = ChunkStore.hash(bytes);
        chunks.put(hash, bytes);
        Files.write(dir.resolve(hash.substring(0, 2)).resolve(hash), new byte[10]);

        assertThat(chunks.put(hash, bytes)).isTrue();
        assertThat(chunks.size(hash)).isEqualTo(1000);
    }

    @Test
    void temporaryFilesAreNotChunks() throws Exception {
        ChunkStore chunks = new ChunkStore(dir);
        byte[] bytes = {1, 2, 3};
        String hash = ChunkStore.hash(bytes);
        chunks.put(hash, bytes);
        Files.write(dir.resolve(hash.substring(0, 2)).resolve(".tmp-left-behind"), bytes);

        assertThat(chunks.list()).containsExactly(hash);
        assertThat(chunks.deleteTemporaryFiles()).isEqualTo(1);
        assertThat(chunks.delete(hash)).isEqualTo(3);
        assertThat(chunks.list()).isEmpty();
        assertThat(chunks.contains(hash)).isFalse();
    }
}
