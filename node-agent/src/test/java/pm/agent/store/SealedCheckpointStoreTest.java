package pm.agent.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static pm.agent.support.PageGroups.GROUP_BYTES;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.store.crypto.ClusterKeys;
import pm.agent.store.crypto.Sealer;
import pm.agent.store.crypto.TamperedDataException;
import pm.agent.store.crypto.UnknownKeyException;
import pm.agent.support.PageGroups;
import pm.runtime.process.WasiProcess;

/** A store with image keys: the same state comes back, unchanged page groups are still stored once, and chunks cannot be swapped. */
class SealedCheckpointStoreTest {
    @TempDir
    Path dir;

    private ClusterKeys keys() {
        Path file = dir.resolve("image.keys");
        if (!Files.exists(file)) {
            ClusterKeys.generate(file);
        }
        return ClusterKeys.load(file);
    }

    private List<Path> chunkFiles() throws Exception {
        try (Stream<Path> walk = Files.walk(dir.resolve("store/chunks"))) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void aSecondFullImageStoresOnlyThePageGroupThatChangedUnderKeyedNames() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        byte[] before = PageGroups.fullImage(p);
        p.run(10_000);
        byte[] after = PageGroups.fullImage(p);
        try (CheckpointStore store = new CheckpointStore(dir.resolve("store"), keys())) {
            CheckpointRecord first = store.put("p1", new ByteArrayInputStream(before), new byte[0]);
            CheckpointRecord second = store.put("p1", new ByteArrayInputStream(after), new byte[0]);

            assertThat(second.newBytes())
                    .as("one page group and the small chunks")
                    .isBetween((long) GROUP_BYTES, GROUP_BYTES + 64 * 1024L);
            PageGroups.assertSameState(PageGroups.restore(store.open("p1", second.checkpointId())), p);
            assertThat(store.open("p1", first.checkpointId()).get(0).readAllBytes())
                    .isEqualTo(before);
        }
        for (Path f : chunkFiles()) {
            byte[] sealed = Files.readAllBytes(f);
            assertThat(Sealer.looksSealed(sealed)).isTrue();
            assertThat(f.getFileName().toString())
                    .as("a name that is no plain SHA-256 of anything stored")
                    .isNotEqualTo(ChunkStore.hash(sealed));
        }
    }

    @Test
    void twoChunkFilesSwappedAreRefusedAsTampered() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        byte[] image = PageGroups.fullImage(p);
        try (CheckpointStore store = new CheckpointStore(dir.resolve("store"), keys())) {
            CheckpointRecord r = store.put("p1", new ByteArrayInputStream(image), new byte[0]);
            // Two page groups of the same size, so the swap passes the size check and only authentication can tell.
            List<Path> sameSize = chunkFiles().stream()
                    .collect(java.util.stream.Collectors.groupingBy(
                            f -> f.toFile().length()))
                    .values()
                    .stream()
                    .filter(group -> group.size() >= 2)
                    .findFirst()
                    .orElseThrow();
            byte[] a = Files.readAllBytes(sameSize.get(0));
            Files.write(sameSize.get(0), Files.readAllBytes(sameSize.get(1)));
            Files.write(sameSize.get(1), a);

            assertThatThrownBy(() -> PageGroups.restore(store.open("p1", r.checkpointId())))
                    .isInstanceOf(TamperedDataException.class)
                    .hasMessageContaining("failed authentication");
        }
    }

    @Test
    void aStoreWithoutKeysRefusesSealedCheckpointsNamingTheKeyRatherThanLosingThem() throws Exception {
        byte[] image = PageGroups.fullImage(PageGroups.started(PageGroups.FILL_FUEL));
        try (CheckpointStore store = new CheckpointStore(dir.resolve("store"), keys())) {
            store.put("p1", new ByteArrayInputStream(image), new byte[0]);
        }
        try (CheckpointStore plain = new CheckpointStore(dir.resolve("store"))) {
            assertThatThrownBy(() -> plain.latest("p1"))
                    .isInstanceOf(UnknownKeyException.class)
                    .hasMessageContaining("image key '" + keys().currentId() + "', and this agent has no image keys");
            assertThatThrownBy(plain::collectGarbage)
                    .as("nothing is collected for want of a key")
                    .isInstanceOf(UnknownKeyException.class);
        }
        try (CheckpointStore again = new CheckpointStore(dir.resolve("store"), keys())) {
            assertThat(again.latest("p1")).isPresent();
        }
    }
}
