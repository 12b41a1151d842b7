package pm.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.v1.ProcessRecord;

/** The process records' journal: what was acknowledged survives a reopen, whatever the interleaving or a torn tail. */
class ProcessRecordsTest {
    @TempDir
    Path dir;

    private static ProcessRecord record(String id, long epoch) {
        return ProcessRecord.newBuilder()
                .setProcessId(id)
                .setEpoch(epoch)
                .setDisposition(ProcessRecord.Disposition.DISPOSITION_OWNED)
                .build();
    }

    @Test
    void putsAndDeletesSurviveAReopen() {
        ProcessRecords records = new ProcessRecords(dir);
        records.put(record("a", 1));
        records.put(record("b", 1));
        records.put(record("a", 2));
        records.delete("b");
        ProcessRecords reopened = new ProcessRecords(dir);
        assertThat(reopened.all()).containsExactly(record("a", 2));
        assertThat(reopened.get("b")).isEmpty();
    }

    @Test
    void concurrentWritersAreAllDurableAndShareForces() throws Exception {
        ProcessRecords records = new ProcessRecords(dir);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    records.put(record("p" + thread + "-" + i, i));
                    if (i % 5 == 0) {
                        records.delete("p" + thread + "-" + i);
                    }
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        ProcessRecords reopened = new ProcessRecords(dir);
        assertThat(reopened.all()).hasSize(16 * 40).containsExactlyInAnyOrderElementsOf(records.all());
    }

    @Test
    void aTornTailFromACrashIsCutOff() throws Exception {
        ProcessRecords records = new ProcessRecords(dir);
        records.put(record("kept", 1));
        records.put(record("torn", 1));
        Path log = dir.resolve("records.log");
        long size = Files.size(log);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
            ch.truncate(size - 3); // the last frame lost its end, as a crash mid-append leaves it
        }
        assertThat(new ProcessRecords(dir).all()).containsExactly(record("kept", 1));
    }

    @Test
    void compactionKeepsTheLatestStateOfEveryProcess() {
        ProcessRecords records = new ProcessRecords(dir);
        byte[] big = new byte[64 << 10];
        for (int i = 0; i < 200; i++) { // ~12 MiB of journal: past the compaction threshold
            records.put(record("p" + (i % 7), i).toBuilder()
                    .setSpec(pm.v1.ProcessSpec.newBuilder().setStdin(com.google.protobuf.ByteString.copyFrom(big)))
                    .build());
        }
        assertThat(dir.resolve("records.log"))
                .satisfies(p -> assertThat(Files.size(p)).isLessThan(8L << 20));
        ProcessRecords reopened = new ProcessRecords(dir);
        assertThat(reopened.all()).hasSize(7);
        assertThat(reopened.get("p3").orElseThrow().getEpoch()).isEqualTo(199 - (199 - 3) % 7);
    }
}
