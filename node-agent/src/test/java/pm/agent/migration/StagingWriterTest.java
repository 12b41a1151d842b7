package pm.agent.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingWriterTest {
    private final ExecutorService executor = Executors.newCachedThreadPool();

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void afterASyncTheFileHoldsTheMemorysLastContentEvenWhenRangesWereRewrittenWhileQueued() throws Exception {
        byte[] memory = new byte[8 << 20];
        Random random = new Random(7);
        Path file = dir.resolve("staging");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            // A backlog of 1 MiB: most writes wait for the disk, as a fast stream does.
            StagingWriter writer = new StagingWriter(new pm.agent.store.StagingFile.Plain(channel), executor, 1 << 20);
            for (int round = 0; round < 5; round++) {
                for (int page = 0; page < memory.length / 65536; page += 1 + round) {
                    byte[] content = new byte[65536];
                    random.nextBytes(content);
                    System.arraycopy(content, 0, memory, page * 65536, 65536);
                    writer.write(memory, page * 65536, 65536);
                }
            }
            writer.sync().get(1, TimeUnit.MINUTES);
            writer.close();
        }
        assertArrayEquals(memory, Files.readAllBytes(file));
    }

    @Test
    void aFailingDiskFailsTheSyncAndTheNextWriteInsteadOfHanging() throws Exception {
        Path file = dir.resolve("read-only");
        Files.write(file, new byte[0]);
        try (FileChannel readOnly = FileChannel.open(file, StandardOpenOption.READ)) {
            StagingWriter writer = new StagingWriter(new pm.agent.store.StagingFile.Plain(readOnly), executor, 1 << 20);
            byte[] memory = new byte[65536];
            writer.write(memory, 0, memory.length);
            CompletionException failed =
                    assertThrows(CompletionException.class, () -> writer.sync().join());
            assertTrue(failed.getCause() instanceof RuntimeException, failed.toString());
            assertThrows(RuntimeException.class, () -> writer.write(memory, 0, memory.length));
        }
        assertTrue(Arrays.equals(new byte[0], Files.readAllBytes(file)));
    }
}
