package pm.agent.store.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.store.StagingFile;

/** A sealed staging file gives back the last content of every page written, zeros for the others, and refuses any alteration. */
class SealedStagingFileTest {
    private static final int PAGE = 65536;

    @TempDir
    Path dir;

    private ClusterKeys keys() {
        Path file = dir.resolve("image.keys");
        if (!Files.exists(file)) {
            ClusterKeys.generate(file);
        }
        return ClusterKeys.load(file);
    }

    /** Pages 0-3 written, page 1 written again, page 5 never: memory of 6 pages. */
    private byte[] stage(Path file) throws Exception {
        byte[] memory = new byte[6 * PAGE];
        new Random(7).nextBytes(memory);
        java.util.Arrays.fill(memory, 5 * PAGE, 6 * PAGE, (byte) 0);
        try (StagingFile staging = StagingFile.create(file, keys())) {
            staging.write(memory, 0, 4 * PAGE);
            memory[PAGE + 17] ^= 0x55;
            staging.write(memory, PAGE, PAGE);
            staging.force();
            staging.write(memory, 4 * PAGE, PAGE);
            staging.force();
        }
        return memory;
    }

    @Test
    void readsBackTheLastWriteOfEachPageAndZerosForPagesNeverWritten() throws Exception {
        Path file = dir.resolve("p.memory");
        byte[] memory = stage(file);

        assertThat(StagingFile.read(file, 6, keys())).isEqualTo(memory);
        byte[] content = Files.readAllBytes(file);
        assertThat(new String(content, 0, 4, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("PMST");
    }

    @Test
    void aFlippedByteAZeroedPageOrASwappedPageIsRefused() throws Exception {
        Path file = dir.resolve("p.memory");
        stage(file);
        long slot = 8 + PAGE + 16;
        byte[] original = Files.readAllBytes(file);

        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(PAGE + 2 * slot + 1000);
            int b = f.read();
            f.seek(PAGE + 2 * slot + 1000);
            f.write(b ^ 1);
        }
        assertThatThrownBy(() -> StagingFile.read(file, 6, keys()))
                .isInstanceOf(TamperedDataException.class)
                .hasMessageContaining("page 2");

        Files.write(file, original);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(PAGE + 3 * slot);
            f.write(new byte[(int) slot]);
        }
        assertThatThrownBy(() -> StagingFile.read(file, 6, keys())).isInstanceOf(TamperedDataException.class);

        byte[] swapped = original.clone();
        System.arraycopy(original, (int) (PAGE + 0 * slot), swapped, (int) (PAGE + 3 * slot), (int) slot);
        Files.write(file, swapped);
        assertThatThrownBy(() -> StagingFile.read(file, 6, keys())).isInstanceOf(TamperedDataException.class);
    }

    @Test
    void aPlainAgentRefusesASealedStagingFileNamingItsKey() throws Exception {
        Path file = dir.resolve("p.memory");
        stage(file);
        assertThatThrownBy(() -> StagingFile.read(file, 6, ClusterKeys.NONE))
                .isInstanceOf(UnknownKeyException.class)
                .hasMessageContaining(keys().currentId());
    }
}
