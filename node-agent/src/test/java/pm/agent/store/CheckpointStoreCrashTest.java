package pm.agent.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pm.agent.support.PageGroups;
import pm.agent.support.PutForeverMain;
import pm.runtime.process.WasiProcess;

/**
 * The store under the two hazards its locks and write order exist for: a process killed in the
 * middle of a put, and garbage collection racing puts that reuse chunks nobody references yet.
 */
class CheckpointStoreCrashTest {
    @TempDir
    Path dir;

    @Test
    void aPutKilledAtAnyPointLeavesEveryCheckpointThatWasAcknowledgedWhole() throws Exception {
        Random random = new Random(7);
        List<String> acknowledged = new ArrayList<>();
        for (int kill = 0; kill < 3; kill++) {
            Process child = new ProcessBuilder(
                            Paths.get(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            PutForeverMain.class.getName(),
                            dir.toString(),
                            "p1")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            int puts = 2 + random.nextInt(6);
            for (int i = 0; i < puts; i++) {
                String id = out.readLine();
                assertThat(id).as("the child's put " + i).isNotNull();
                acknowledged.add(id);
            }
            // Somewhere in the next put or the one after: when exactly does not matter, which is the point.
            Thread.sleep(random.nextInt(40));
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();

            try (CheckpointStore store = new CheckpointStore(dir)) {
                List<String> listed = store.list("p1").stream()
                        .map(CheckpointRecord::checkpointId)
                        .toList();
                assertThat(listed).containsAll(acknowledged);
                for (String id : listed) {
                    PageGroups.restore(store.open("p1", id)); // every chain whole, every chunk there
                }
                store.collectGarbage();
                PageGroups.restore(
                        store.open("p1", store.latest("p1").orElseThrow().checkpointId()));
            }
        }
    }

    @Test
    void garbageCollectionRacingPutsNeverLosesAChunkAManifestNames() throws Exception {
        WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
        try (CheckpointStore store = new CheckpointStore(dir)) {
            for (int round = 0; round < 12; round++) {
                p.run(100 + round);
                // Two images of one state share their page chunks; the first's are left unreferenced.
                byte[] orphaned = PageGroups.fullImage(p);
                byte[] image = PageGroups.fullImage(p);
                store.put("victim", new ByteArrayInputStream(orphaned), new byte[0]);
                store.delete("victim");

                CountDownLatch start = new CountDownLatch(1);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread collector = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 3; i++) {
                            store.collectGarbage();
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                collector.start();
                start.countDown();
                CheckpointRecord r = store.put("p" + round, new ByteArrayInputStream(image), new byte[0]);
                collector.join();

                assertThat(failure.get()).isNull();
                PageGroups.assertSameState(PageGroups.restore(store.open("p" + round, r.checkpointId())), p);
            }
        }
    }
}
