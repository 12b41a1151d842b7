package pm.agent.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static pm.agent.support.PageGroups.GROUP_BYTES;
import static pm.agent.support.PageGroups.PAGES;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.support.PageGroups;
import pm.runtime.process.WasiProcess;

/**
 * The checkpoint store with real images of a real process (see {@link PageGroups}): what is put
 * comes back, after a restart, as a chain that restores the same state; unchanged page groups are
 * stored once; damage and interruptions lose nothing that was whole before.
 */
class CheckpointStoreTest {
    private static final byte[] SPEC = "spec of p1".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private CheckpointStore store() throws IOException {
        return new CheckpointStore(dir, Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC));
    }

    private static InputStream in(byte[] image) {
        return new ByteArrayInputStream(image);
    }

    @Test
    void aFullImageAndAnIncrementRestoreAfterReopeningToTheOriginalState() throws Exception {
        WasiProcess original = PageGroups.started(PageGroups.FILL_FUEL);
        byte[] full = PageGroups.fullImage(original);
        original.run(10_000);
        byte[] increment = PageGroups.increment(original);
        CheckpointRecord first;
        CheckpointRecord second;
        try (CheckpointStore store = store()) {
            first = store.put("p1", in(full), SPEC);
            second = store.put("p1", in(increment), new byte[0]);
        }

        try (CheckpointStore reopened = store()) {
            assertThat(reopened.processes()).containsExactly("p1");
            assertThat(reopened.list("p1")).containsExactly(first, second);
            assertThat(reopened.latest("p1")).contains(second);
            assertThat(reopened.list("p1").get(0).attachment()).isEqualTo(SPEC);
            assertThat(second.baseCheckpointId()).isEqualTo(first.checkpointId());
            assertThat(second.bytes()).isEqualTo(increment.length);
            assertThat(first.createdMillis()).isEqualTo(1_700_000_000_000L);

            List<InputStream> chain = reopened.open("p1", second.checkpointId());
            assertThat(chain).hasSize(2);
            PageGroups.assertSameState(PageGroups.restore(chain), original);
            assertThat(reopened.open("p1", first.checkpointId()).get(0).readAllBytes())
                    .isEqualTo(full);
        }
    }

    @Test
    void aSecondFullImageStoresOnlyThePageGroupThatChanged() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        byte[] before = PageGroups.fullImage(p);
        p.run(10_000); // counts in page 0: group 0 changes, groups 1 and 2 do not
        byte[] after = PageGroups.fullImage(p);
        try (CheckpointStore store = store()) {
            CheckpointRecord first = store.put("p1", in(before), SPEC);
            CheckpointRecord second = store.put("p1", in(after), SPEC);

            assertThat(first.newBytes()).isEqualTo(first.bytes() - 12); // all but the preamble, kept in the manifest
            assertThat(second.bytes()).isGreaterThan((long) PAGES * 65536);
            assertThat(second.newBytes())
                    .as("one page group and the small chunks")
                    .isBetween((long) GROUP_BYTES, GROUP_BYTES + 64 * 1024L);
            assertThat(second.isFull()).isTrue();
            PageGroups.assertSameState(PageGroups.restore(store.open("p1", second.checkpointId())), p);
        }
    }

    @Test
    void anIncrementWhoseBaseIsNotStoredForThatProcessIsRefused() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        byte[] full = PageGroups.fullImage(p);
        p.run(100);
        byte[] increment = PageGroups.increment(p);
        try (CheckpointStore store = store()) {
            CheckpointRecord base = store.put("other", in(full), SPEC);

            assertThatThrownBy(() -> store.put("p1", in(increment), SPEC))
                    .isInstanceOf(MissingBaseException.class)
                    .hasMessageStartingWith("checkpoint ")
                    .hasMessageEndingWith(" is an increment of checkpoint " + base.checkpointId()
                            + ", which the store does not hold whole for process p1");
            assertThat(store.list("p1")).isEmpty();
            assertThat(store.processes()).containsExactly("other");
        }
    }

    @Test
    void theSameCheckpointIsNotStoredTwice() throws Exception {
        byte[] full = PageGroups.fullImage(PageGroups.started(PageGroups.FILL_FUEL));
        try (CheckpointStore store = store()) {
            CheckpointRecord record = store.put("p1", in(full), SPEC);

            assertThatThrownBy(() -> store.put("p1", in(full), SPEC))
                    .isInstanceOf(CheckpointExistsException.class)
                    .hasMessage("process p1 already has checkpoint " + record.checkpointId());
            assertThat(store.list("p1")).containsExactly(record);
        }
    }

    @Test
    void aPutInterruptedByItsStreamLeavesThePreviousCheckpointAndAddsNothing() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        byte[] full = PageGroups.fullImage(p);
        p.run(10_000);
        byte[] next = PageGroups.fullImage(p);
        try (CheckpointStore store = store()) {
            CheckpointRecord kept = store.put("p1", in(full), SPEC);
            int chunksBefore = chunkFiles().size();

            // Fails after the header and the first page group: chunks written, no manifest.
            InputStream failing = new FailingStream(next, GROUP_BYTES + 1024);
            assertThatThrownBy(() -> store.put("p1", failing, SPEC)).isInstanceOf(IOException.class);

            assertThat(chunkFiles().size() - chunksBefore)
                    .as("its header and first page group were written")
                    .isEqualTo(2);
            assertThat(store.list("p1")).containsExactly(kept);
            assertThat(store.open("p1", kept.checkpointId()).get(0).readAllBytes())
                    .isEqualTo(full);
            assertThat(store.collectGarbage().deletedChunks()).isEqualTo(2);
            assertThat(chunkFiles()).hasSize(chunksBefore);
        }
    }

    @Test
    void temporaryFilesLeftByACrashAreIgnoredAndCollected() throws Exception {
        byte[] full = PageGroups.fullImage(PageGroups.started(PageGroups.FILL_FUEL));
        try (CheckpointStore store = store()) {
            CheckpointRecord kept = store.put("p1", in(full), SPEC);
            Path manifest = manifests().get(0);
            // A manifest written and fsync'd but never renamed, and a chunk cut off mid-write.
            Files.copy(manifest, manifest.resolveSibling(".tmp-crashed"));
            Path chunkDir = chunkFiles().get(0).getParent();
            Files.write(chunkDir.resolve(".tmp-crashed"), new byte[] {1, 2, 3});
            Files.write(chunkDir.resolve(".tmp-other"), new byte[0]);

            assertThat(store.list("p1")).containsExactly(kept);
            GcResult gc = store.collectGarbage();

            assertThat(gc.deletedTempFiles()).isEqualTo(3);
            assertThat(gc.deletedChunks()).isZero();
            assertThat(store.list("p1")).containsExactly(kept);
            PageGroups.restore(store.open("p1", kept.checkpointId()));
        }
    }

    @Test
    void garbageCollectionDeletesExactlyTheChunksNoManifestNames() throws Exception {
        WasiProcess a = PageGroups.started(PageGroups.FILL_FUEL);
        WasiProcess b = PageGroups.started(PageGroups.FILL_FUEL + 50_000);
        try (CheckpointStore store = store()) {
            store.put("a", in(PageGroups.fullImage(a)), SPEC);
            Set<Path> ofA = new HashSet<>(chunkFiles());
            CheckpointRecord ofB = store.put("b", in(PageGroups.fullImage(b)), SPEC);
            Set<Path> onlyB = new HashSet<>(chunkFiles());
            onlyB.removeAll(ofA);

            assertThat(store.collectGarbage()).isEqualTo(new GcResult(ofA.size() + onlyB.size(), 0, 0, 0));
            assertThat(store.delete("b")).isTrue();
            long bytesOfB = 0;
            for (Path f : onlyB) {
                bytesOfB += Files.size(f);
            }
            GcResult gc = store.collectGarbage();

            assertThat(bytesOfB)
                    .as("b shares page groups 1 and 2 with a, not 0 nor its state")
                    .isBetween((long) GROUP_BYTES, GROUP_BYTES + 64 * 1024L);
            assertThat(gc).isEqualTo(new GcResult(ofA.size(), onlyB.size(), bytesOfB, 0));
            assertThat(new HashSet<>(chunkFiles())).isEqualTo(ofA);
            assertThat(store.processes()).containsExactly("a");
            assertThatThrownBy(() -> store.open("b", ofB.checkpointId()))
                    .isInstanceOf(CheckpointNotFoundException.class);
            PageGroups.assertSameState(
                    PageGroups.restore(
                            store.open("a", store.latest("a").orElseThrow().checkpointId())),
                    a);
        }
    }

    @Test
    void retainLatestChainDropsWhatIsOlderThanTheLatestFullImage() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        try (CheckpointStore store = store()) {
            CheckpointRecord full1 = store.put("p1", in(PageGroups.fullImage(p)), SPEC);
            p.run(100);
            CheckpointRecord inc1 = store.put("p1", in(PageGroups.increment(p)), SPEC);
            p.run(100);
            CheckpointRecord full2 = store.put("p1", in(PageGroups.fullImage(p)), SPEC);
            p.run(100);
            CheckpointRecord inc2 = store.put("p1", in(PageGroups.increment(p)), SPEC);

            assertThat(store.list("p1")).containsExactly(full1, inc1, full2, inc2);
            assertThat(store.retainLatestChain("p1")).isEqualTo(2);
            assertThat(store.list("p1")).containsExactly(full2, inc2);
            assertThat(store.collectGarbage().deletedChunks()).isPositive();
            PageGroups.assertSameState(PageGroups.restore(store.open("p1", inc2.checkpointId())), p);
            assertThat(store.retainLatestChain("p1")).isZero();
        }
    }

    @Test
    void aCorruptManifestIsTreatedAsAbsent() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        try (CheckpointStore store = store()) {
            CheckpointRecord full = store.put("p1", in(PageGroups.fullImage(p)), SPEC);
            p.run(100);
            CheckpointRecord inc1 = store.put("p1", in(PageGroups.increment(p)), SPEC);
            p.run(100);
            CheckpointRecord inc2 = store.put("p1", in(PageGroups.increment(p)), SPEC);
            Path second = manifests().get(1);
            byte[] bytes = Files.readAllBytes(second);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(second, bytes);

            // inc2 builds on the damaged inc1: neither can be restored, the full image can.
            assertThat(store.list("p1")).containsExactly(full);
            assertThat(store.latest("p1")).contains(full);
            assertThatThrownBy(() -> store.open("p1", inc1.checkpointId()))
                    .isInstanceOf(CheckpointNotFoundException.class)
                    .hasMessage("process p1 has no checkpoint " + inc1.checkpointId());
            assertThatThrownBy(() -> store.open("p1", inc2.checkpointId()))
                    .isInstanceOf(CorruptCheckpointException.class)
                    .hasMessage("checkpoint " + inc2.checkpointId() + " of process p1 cannot be restored:"
                            + " a checkpoint it builds on is missing or corrupt");
            Files.write(manifests().get(0), new byte[] {1, 2, 3}); // and a truncated one
            assertThat(store.latest("p1")).isEmpty();
            assertThat(store.processes()).containsExactly("p1"); // inc2's manifest is still readable
        }
    }

    @Test
    void aMissingChunkIsNamedWhenTheCheckpointIsOpened() throws Exception {
        try (CheckpointStore store = store()) {
            CheckpointRecord full =
                    store.put("p1", in(PageGroups.fullImage(PageGroups.started(PageGroups.FILL_FUEL))), SPEC);
            Path chunk = chunkFiles().get(0);
            Files.delete(chunk);

            assertThatThrownBy(() -> store.open("p1", full.checkpointId()))
                    .isInstanceOf(CorruptCheckpointException.class)
                    .hasMessage("checkpoint " + full.checkpointId() + " of process p1: chunk " + chunk.getFileName()
                            + " is missing");
        }
    }

    @Test
    void processIdsNeverBecomePaths() throws Exception {
        byte[] full = PageGroups.fullImage(PageGroups.started(PageGroups.FILL_FUEL));
        String sneaky = "../../escape/" + "x".repeat(400) + "/\u00e9\u0000";
        Path inner = dir.resolve("store");
        try (CheckpointStore store = new CheckpointStore(inner)) {
            store.put(sneaky, in(full), SPEC);
            store.put(".", in(full), SPEC);

            assertThat(store.processes()).containsExactlyInAnyOrder(sneaky, ".");
            assertThat(store.list(sneaky)).hasSize(1);
            try (Stream<Path> top = Files.list(dir)) {
                assertThat(top).containsExactly(inner);
            }
            try (Stream<Path> names = Files.list(inner.resolve("processes"))) {
                assertThat(names.map(f -> f.getFileName().toString()))
                        .hasSize(2)
                        .allMatch(ChunkStore::isHash);
            }
            assertThatThrownBy(() -> store.latest("")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aDirectoryHoldsOneOpenStoreAtATime() throws Exception {
        CheckpointStore first = store();

        assertThatThrownBy(this::store).isInstanceOf(StoreException.class).hasMessageContaining(" is already open");
        first.close();
        first.close();
        assertThatThrownBy(() -> first.processes()).isInstanceOf(IllegalStateException.class);
        store().close();
    }

    private List<Path> chunkFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("chunks"))) {
            return files.filter(f -> ChunkStore.isHash(f.getFileName().toString()))
                    .sorted()
                    .toList();
        }
    }

    private List<Path> manifests() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("processes"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".manifest"))
                    .sorted()
                    .toList();
        }
    }

    /** An image stream that fails with an I/O error after {@code limit} bytes, as a dying peer or disk would. */
    private static final class FailingStream extends InputStream {
        private final ByteArrayInputStream in;
        private int left;

        FailingStream(byte[] image, int limit) {
            this.in = new ByteArrayInputStream(image);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                throw new IOException("connection reset");
            }
            int n = in.read(b, off, Math.min(len, left));
            left -= Math.max(n, 0);
            return n;
        }
    }
}
