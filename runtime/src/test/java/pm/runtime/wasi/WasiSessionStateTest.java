package pm.runtime.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import pm.runtime.StateMismatchException;
import pm.runtime.support.Blobs;
import pm.v1.Capability;
import pm.v1.CapabilityKind;
import pm.v1.WasiState;

/** A session's state: capabilities re-bound on restore, or refused by name; the monotonic clock never goes back. */
class WasiSessionStateTest {
    private static final long FS = 1 << 20;

    private static WasiState stateWithPreopen() {
        FileSystem data = new FileSystem(() -> 0L, FS);
        data.createFile(data.root(), "a.txt");
        return WasiSession.builder()
                .args(List.of("p"))
                .preopen("/data", data)
                .build()
                .capture();
    }

    @Test
    void descriptorsComeBackAtTheirNumbersBoundToTheRestoredPreopen() {
        WasiState state = stateWithPreopen();

        WasiSession restored = WasiSession.builder().restore(state, FS);

        assertThat(restored.capture().getDescriptorsList())
                .extracting(Capability::getHandle)
                .containsExactly(0, 1, 2, 3);
        assertThat(restored.preopen("/data").resolve(restored.preopen("/data").root(), "a.txt", false))
                .isNotNull();
        assertThat(restored.args).containsExactly("p");
    }

    @Test
    void aFileCapabilityWhoseInodeIsMissingFailsTheRestoreNamingIt() {
        WasiState state = stateWithPreopen().toBuilder()
                .addDescriptors(Capability.newBuilder()
                        .setHandle(4)
                        .setKind(CapabilityKind.CAPABILITY_KIND_FILE)
                        .setName("/data#999")
                        .setPreopen("/data")
                        .setInode(999))
                .build();

        assertThatThrownBy(() -> WasiSession.builder().restore(state, FS))
                .isInstanceOf(StateMismatchException.class)
                .hasMessage("capability \"/data#999\" cannot be bound: inode 999 missing");
    }

    @Test
    void aCapabilityInAnUnknownPreopenFailsTheRestoreNamingIt() {
        WasiState state = stateWithPreopen().toBuilder()
                .addDescriptors(Capability.newBuilder()
                        .setHandle(5)
                        .setKind(CapabilityKind.CAPABILITY_KIND_DIRECTORY)
                        .setName("/elsewhere#1")
                        .setPreopen("/elsewhere")
                        .setInode(1))
                .build();

        assertThatThrownBy(() -> WasiSession.builder().restore(state, FS))
                .isInstanceOf(StateMismatchException.class)
                .hasMessage("capability \"/elsewhere#1\" cannot be bound: no preopen /elsewhere");
    }

    @Test
    void monotonicClockContinuesFromItsCapturedValueOnAHostWhoseClockIsBehind() {
        AtomicLong hostA = new AtomicLong(5_000_000_000L);
        WasiSession a = WasiSession.builder().clocks(() -> 0L, hostA::get).build();
        long before = a.monotonicNow();

        AtomicLong hostB = new AtomicLong(1_000L); // another machine, booted recently
        WasiSession b = WasiSession.builder().clocks(() -> 0L, hostB::get).restore(a.capture(), FS);
        hostB.addAndGet(10);

        assertThat(b.monotonicNow()).isEqualTo(before + 10);
    }

    @Test
    void aRestoreFindsFilesNamedByHashThroughTheHostsBlobs() {
        Blobs.Store blobs = new Blobs.Store();
        BlobContent input = blobs.put("uploaded input".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        FileSystem data = new FileSystem(() -> 0L, FS);
        data.createFile(data.root(), "input", input);
        WasiState state = WasiSession.builder().preopen("/data", data).build().capture();

        WasiSession restored = WasiSession.builder().blobs(blobs).restore(state, FS);

        FileSystem fs = restored.preopen("/data");
        assertThat(fs.resolve(fs.root(), "input", false).blob()).containsSame(input);
        assertThatThrownBy(() -> WasiSession.builder().restore(state, FS))
                .isInstanceOf(StateMismatchException.class)
                .hasMessageContaining("names blob sha256:" + Blobs.hex(input) + ", which this host does not hold");
    }
}
